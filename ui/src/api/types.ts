// TEMPORARY hand-written mirror of crates/cs-app/src/dto.rs, used until the
// generated ui/src/bindings.ts lands. Delete this file then and import the
// types from "../bindings" instead.

export type MoneyDto = { minor: string; currency: string; amount: string };
export type RateDto = { micros: string; currency: string; amount: string };
export type ProviderInfo = { kind: string; name: string; connected: boolean; detail: string };
export type AppInfo = {
  version: string;
  databasePath: string;
  logDir: string;
  currency: string;
  providers: ProviderInfo[];
};
export type StatusCount = { status: string; count: number };
export type ActivityDto = {
  seq: string;
  at: string;
  actor: string;
  action: string;
  subjectKind: string;
  subjectId: string | null;
  organizationId: string | null;
  summary: string;
};
export type Dashboard = {
  organizations: number;
  plans: number;
  liveServers: number;
  serversByStatus: StatusCount[];
  monthlyRevenue: MoneyDto;
  recentActivity: ActivityDto[];
};
export type OrganizationDto = {
  id: string;
  name: string;
  country: string;
  taxId: string | null;
  contactName: string;
  contactEmail: string;
  liveServers: number;
  createdAt: string;
  updatedAt: string;
};
export type ServerDto = {
  id: string;
  label: string;
  organizationId: string;
  organizationName: string;
  planId: string;
  planName: string;
  provider: string;
  providerId: string | null;
  providerType: string;
  region: string;
  image: string;
  status: string;
  ipv4: string | null;
  ipv6: string | null;
  monthly: MoneyDto;
  hourly: RateDto;
  createdAt: string;
  updatedAt: string;
  deletedAt: string | null;
};
export type OrganizationDetail = {
  organization: OrganizationDto;
  servers: ServerDto[];
  activity: ActivityDto[];
};
export type OrganizationInput = {
  name: string;
  contactName: string;
  contactEmail: string;
  country: string;
  taxId: string | null;
};
export type RegionPriceDto = { region: string; monthly: MoneyDto; hourly: RateDto };
export type PlanDto = {
  id: string;
  name: string;
  provider: string;
  providerType: string;
  providerTypeLabel: string | null;
  regions: string[];
  monthly: MoneyDto;
  hourly: RateDto;
  providerPrices: RegionPriceDto[];
  active: boolean;
  liveServers: number;
  createdAt: string;
};
export type PlanInput = {
  name: string;
  provider: string;
  providerType: string;
  regions: string[];
  monthlyPrice: string;
  hourlyPrice: string;
};
export type RegionDto = { id: string; label: string; country: string; available: boolean };
export type InstanceTypeDto = {
  id: string;
  label: string;
  vcpus: number;
  memoryMb: number;
  diskGb: number;
  transferGb: number;
  monthly: MoneyDto;
  hourly: RateDto;
  regionPrices: RegionPriceDto[];
};
export type ImageDto = { id: string; label: string; vendor: string; cloudInit: boolean };
export type CatalogDto = {
  provider: string;
  regions: RegionDto[];
  types: InstanceTypeDto[];
  images: ImageDto[];
};
export type ServerInput = {
  organizationId: string;
  planId: string;
  label: string;
  region: string;
  image: string;
  rootPassword: string | null;
  sshKey: string | null;
};
export type ServerAction = "boot" | "reboot" | "shutdown";
export type MetricPoint = { t: number; v: number };
export type ServerStatsDto = {
  cpuPercent: MetricPoint[];
  networkInBitsPerS: MetricPoint[];
  networkOutBitsPerS: MetricPoint[];
  transferUsedGb: string;
  transferQuotaGb: number;
};
export type ServerDetail = { server: ServerDto; activity: ActivityDto[] };
export type SettingsDto = { currency: string; currencyLocked: boolean; resellerName: string };
export type SettingsInput = { currency: string; resellerName: string };
export type FieldErrorDto = { field: string; message: string };
export type ErrorDto = { code: string; message: string; fields: FieldErrorDto[] };
export type ServerChanged = { server: ServerDto };
export type ActivityRecorded = { activity: ActivityDto };
