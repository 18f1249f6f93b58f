import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Put, Query, Req, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import type { Request } from 'express';
import { AccountService, UserRecord } from '@wharf/auth-core';
import { ApiUser, clientAddress, CurrentUser, JwtAuthGuard, PageQueryDto, pageOf } from '@wharf/api-http';
import { OrganizationDeleteQueryDto } from './queries.dto';
import { OrganizationService } from '@wharf/org-core';
import {
  CreatedRobotDto,
  CreateOrganizationDto,
  CreateRobotDto,
  EnabledDto,
  MemberDto,
  MemberPageDto,
  OrganizationDto,
  OrganizationPageDto,
  RobotPageDto,
  RobotStateDto,
  SetLevelDto,
  UpdateOrganizationDto,
  UsageDto,
} from './organizations.dto';

/** `/api/v1/organizations` (SPEC §12): organizations, members and robot accounts. */
@ApiTags('organizations')
@ApiBearerAuth()
@Controller('api/v1/organizations')
@UseGuards(JwtAuthGuard)
export class OrganizationsController {
  constructor(
    private readonly orgs: OrganizationService,
    private readonly accounts: AccountService,
  ) {}

  private user(user: ApiUser): Promise<UserRecord> {
    return this.accounts.requireUser(user);
  }

  @Post()
  @HttpCode(201)
  @ApiCreatedResponse({ type: OrganizationDto })
  async create(@Req() req: Request, @CurrentUser() user: ApiUser, @Body() body: CreateOrganizationDto): Promise<OrganizationDto> {
    return this.orgs.create(await this.user(user), body.name, body.visibility, clientAddress(req));
  }

  @Get()
  @ApiOkResponse({ type: OrganizationPageDto })
  async list(@CurrentUser() user: ApiUser, @Query() query: PageQueryDto): Promise<OrganizationPageDto> {
    const { page, pageSize } = query;
    return this.orgs.list(await this.user(user), page, pageSize);
  }

  @Get(':org')
  @ApiOkResponse({ type: OrganizationDto })
  async get(@CurrentUser() user: ApiUser, @Param('org') org: string): Promise<OrganizationDto> {
    return this.orgs.get(await this.user(user), org);
  }

  @Patch(':org')
  @ApiOkResponse({ type: OrganizationDto })
  async update(@Req() req: Request, @CurrentUser() user: ApiUser, @Param('org') org: string, @Body() body: UpdateOrganizationDto): Promise<OrganizationDto> {
    return this.orgs.update(await this.user(user), org, body, clientAddress(req));
  }

  @Delete(':org')
  @HttpCode(204)
  @ApiNoContentResponse()
  async remove(@Req() req: Request, @CurrentUser() user: ApiUser, @Param('org') org: string, @Query() query: OrganizationDeleteQueryDto): Promise<void> {
    await this.orgs.delete(await this.user(user), org, query.cascade === 'true', clientAddress(req));
  }

  @Get(':org/usage')
  @ApiOkResponse({ type: UsageDto })
  async usage(@CurrentUser() user: ApiUser, @Param('org') org: string): Promise<UsageDto> {
    return this.orgs.usage(await this.user(user), org);
  }

  @Get(':org/members')
  @ApiOkResponse({ type: MemberPageDto })
  async members(@CurrentUser() user: ApiUser, @Param('org') org: string, @Query() query: PageQueryDto): Promise<MemberPageDto> {
    return pageOf(await this.orgs.members(await this.user(user), org), query);
  }

  @Put(':org/members/:username')
  @ApiOkResponse({ type: MemberDto })
  async setMember(
    @Req() req: Request,
    @CurrentUser() user: ApiUser,
    @Param('org') org: string,
    @Param('username') username: string,
    @Body() body: SetLevelDto,
  ): Promise<MemberDto> {
    return this.orgs.setMember(await this.user(user), org, username, body.level, clientAddress(req));
  }

  @Delete(':org/members/:username')
  @HttpCode(204)
  @ApiNoContentResponse()
  async removeMember(@Req() req: Request, @CurrentUser() user: ApiUser, @Param('org') org: string, @Param('username') username: string): Promise<void> {
    await this.orgs.removeMember(await this.user(user), org, username, clientAddress(req));
  }

  @Post(':org/robots')
  @HttpCode(201)
  @ApiCreatedResponse({ type: CreatedRobotDto })
  async createRobot(@Req() req: Request, @CurrentUser() user: ApiUser, @Param('org') org: string, @Body() body: CreateRobotDto): Promise<CreatedRobotDto> {
    return this.orgs.createRobot(await this.user(user), org, body, clientAddress(req));
  }

  @Get(':org/robots')
  @ApiOkResponse({ type: RobotPageDto })
  async robots(@CurrentUser() user: ApiUser, @Param('org') org: string, @Query() query: PageQueryDto): Promise<RobotPageDto> {
    return pageOf(await this.orgs.robots(await this.user(user), org), query);
  }

  @Patch(':org/robots/:name')
  @ApiOkResponse({ type: RobotStateDto })
  async patchRobot(
    @Req() req: Request,
    @CurrentUser() user: ApiUser,
    @Param('org') org: string,
    @Param('name') name: string,
    @Body() body: EnabledDto,
  ): Promise<RobotStateDto> {
    await this.orgs.setRobotEnabled(await this.user(user), org, name, body.enabled, clientAddress(req));
    return { name, enabled: body.enabled };
  }

  @Delete(':org/robots/:name')
  @HttpCode(204)
  @ApiNoContentResponse()
  async deleteRobot(@Req() req: Request, @CurrentUser() user: ApiUser, @Param('org') org: string, @Param('name') name: string): Promise<void> {
    await this.orgs.deleteRobot(await this.user(user), org, name, clientAddress(req));
  }
}
