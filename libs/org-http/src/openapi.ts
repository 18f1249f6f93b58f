import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';

/** The SPEC §12 error envelope, every operation's default (error) response. */
const ERROR_ENVELOPE = {
  type: 'object',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['code', 'message'],
      properties: {
        code: { type: 'string', example: 'INVALID_ARGUMENT' },
        message: { type: 'string' },
        field: { type: 'string', description: 'the request field at fault, when there is one' },
      },
    },
  },
} as const;

/**
 * The OpenAPI document of the management API, generated from the controllers and their DTOs at
 * start: the JSON at `/api/docs-json` and the browsable UI at `/api/docs`. Every operation also
 * documents the error envelope as its default response.
 */
export function mountOpenApi(app: INestApplication): void {
  const config = new DocumentBuilder()
    .setTitle('Wharf management API')
    .setDescription('Organizations, repositories, tags, shares, accounts, credentials and audit (SPEC §12). Authenticate with a bearer token from POST /api/v1/auth/login.')
    .setVersion('1')
    .addBearerAuth()
    .build();
  const document = SwaggerModule.createDocument(app, config);
  document.components = { ...document.components, schemas: { ...document.components?.schemas, ErrorEnvelope: ERROR_ENVELOPE as never } };
  for (const item of Object.values(document.paths)) {
    for (const op of Object.values(item)) {
      if (op && typeof op === 'object' && 'responses' in op) {
        op.responses['default'] = { description: 'an error', content: { 'application/json': { schema: { $ref: '#/components/schemas/ErrorEnvelope' } } } };
      }
    }
  }
  SwaggerModule.setup('api/docs', app, document, { jsonDocumentUrl: 'api/docs-json' });
}
