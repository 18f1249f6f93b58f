import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';

/**
 * The OpenAPI document of the management API, generated from the controllers at start: the
 * JSON at `/api/docs-json` and the browsable UI at `/api/docs`.
 */
export function mountOpenApi(app: INestApplication): void {
  const config = new DocumentBuilder()
    .setTitle('Wharf management API')
    .setDescription('Organizations, repositories, tags, shares, accounts, credentials and audit (SPEC §12). Authenticate with a bearer token from POST /api/v1/auth/login.')
    .setVersion('1')
    .addBearerAuth()
    .build();
  const document = SwaggerModule.createDocument(app, config);
  SwaggerModule.setup('api/docs', app, document, { jsonDocumentUrl: 'api/docs-json' });
}
