// The public API of the package, named on purpose: everything a user composes apps or builds constructs with.
// A module export that is not here is marked @internal (test/release/public-surface.test.ts keeps the two in step).

// Core primitives: handles, wiring, builders, validation (for constructs of your own)
export { checksumAnnotations, CONFIG_CHECKSUM_ANNOTATION, configChecksum } from './core/checksum';
export { buildContainer, buildWaitContainer } from './core/container';
export type { ContainerOptions, ContainerPortSpec } from './core/container';
export { DeploymentRollout, renderDeployment } from './core/deployment';
export type { DeploymentContainer, DeploymentSpec, RenderedDeployment, RollingRolloutOptions } from './core/deployment';
export { Gpu, NVIDIA_GPU_PRESENT_LABEL, NVIDIA_GPU_RESOURCE } from './core/gpu';
export type { GpuOptions } from './core/gpu';
export {
  ClusterDomain, DEFAULT_CLUSTER_DOMAIN, ExternalEndpoint, ExternalPeer, HostForm, LINUX_EPHEMERAL_PORTS, PodEndpoint, ServiceEndpoint,
} from './core/endpoint';
export type {
  EndpointPort, EndpointPortSpec, ExternalAnywherePeerOptions, ExternalCidrPeerOptions, ExternalEndpointProps,
  ExternalPeerPortOptions, ExternalPeerRecord, ExternalPodsPeerOptions, PodPortSpec, ExternalTargetRecord, IConnectionTarget,
  PodsTargetRecord, PortProtocol,
  ServiceEndpointProps, ServiceTargetRecord, TargetRecord, UrlOptions,
} from './core/endpoint';
export { assertEnvName, EnvBuilder, EnvFrom, envFromPairs, EnvSource } from './core/env';
export type { EnvMap, EnvValue, OwnedKeyHint } from './core/env';
export { buildChild, check, checkAll, ConfigError, ConfigErrors, ErrorCollector, inConstruct, propPath } from './core/errors';
export type { ConstructRef } from './core/errors';
export { assertPinnedTag, DOCKER_HUB, ImageRef, Images, LATEST_TAG_REASON, unpinnedImageException } from './core/images';
export type { ImageSettings, PinnedTagOptions, UnpinnedImageAllowance } from './core/images';
export {
  assertLabelKey, assertLabels, assertLabelValue, assertStableSelector, MANAGED_BY, selectorLabels, standardLabels,
  UNSTABLE_SELECTOR_KEYS,
} from './core/labels';
export type { StandardLabelOptions, WorkloadIdentity } from './core/labels';
export {
  assertDnsLabel, assertDnsSubdomain, deriveName, isDnsLabel, isDnsSubdomain, isPortName, MAX_DNS_LABEL,
  MAX_DNS_SUBDOMAIN,
} from './core/names';
export type { DeriveNameOptions } from './core/names';
export { INGRESS_NGINX_CONTROLLER, KUBE_DNS, KUBE_PROMETHEUS, KUBERNETES_API_PORTS, NetworkPolicies } from './core/network';
export type { DefaultDenyOptions, NetworkPoliciesOffOptions } from './core/network';
export { addPlacementRequirements, NodeSelection, Placement, placementWithDefaults } from './core/placement';
export type { GlobalPlacementProps, PlacementRequirements, ResolvedPlacement, Toleration, WorkloadPlacementOptions } from './core/placement';
export { buildPodSpec } from './core/pod';
export type { PodOptions } from './core/pod';
export { renderPodTemplate } from './core/pod-template';
export type { PodAccountOptions, PodContainer, PodTemplateOptions, RenderedPodTemplate } from './core/pod-template';
export {
  assertExternalRefs, CRD_INSTALLED_ANNOTATION, EXTERNAL_REF_KINDS, EXTERNAL_REFS_ANNOTATION, externalRefsAnnotation, POLICY_EXCEPTION_PREFIX,
  policyExceptionAnnotations,
} from './core/policy';
export type { ExternalRef, PolicyException } from './core/policy';
export { probePort, Probes } from './core/probes';
export { forwardChildProps, forwardProps, userProp } from './core/props';
export type { ForwardedProps, UserProp } from './core/props';
export type { CurlCheck, ProbePort, ProbeTiming } from './core/probes';
export { buildServiceAccount, NamespacedAccess } from './core/rbac';
export type { NamespacedAccessProps, ServiceAccountOptions } from './core/rbac';
export { quantityOf, renderResources, sized, sizeQuantity } from './core/resources';
export type { RequestOnlyResources, Resources } from './core/resources';
export { ARGOCD_SYNC_OPTIONS_ANNOTATION, HELM_RESOURCE_POLICY_ANNOTATION, KEEP_SYNC_OPTIONS, keepStateAnnotations } from './core/retention';
export type { KeepStateOptions } from './core/retention';
export { SecurityProfile } from './core/security';
export type { HostPathMount, SecurityExceptions, SecurityProfileOptions } from './core/security';
export { buildService } from './core/service';
export type { RenderedService, ServiceOptions, ServicePortOptions } from './core/service';
export { renderStatefulSet } from './core/statefulset';
export type { RenderedStatefulSet, StatefulSetSpec } from './core/statefulset';
export {
  assertCidr, assertGid, assertHostname, assertInt, assertIp, assertIpOrCidr, assertNodePort, assertPort, assertQuantity,
  assertReplicas, assertResolver, assertUid, assertWholeMilliseconds, assertWholeSeconds, assertWildcardHost,
  familiesFullyCovered, INT32_MAX, INT32_MIN, ipFamily, isIp, NODE_PORT_RANGE, parseCidr, parseHostPort, parseServerUrl,
  syncWave,
} from './core/validate';
export type { Cidr, DurationBounds, HostPort, IntRange, ServerUrl, ServerUrlRules } from './core/validate';
export { K8S_WAIT_FOR_IMAGE, PG_ISREADY_IMAGE, WAIT_RESOURCES, WaitFor, waitRules } from './core/waits';
export type { InitWait, PostgresWaitOptions } from './core/waits';
export { ClientBinding, Connection, ConnectionKind, ConnectionSource, PodWiring, Wiring } from './core/wiring';
export type {
  ClientRecord, ConnectionRecord, ConnectOptions, ExternalClientRecord, IConnectable, SecretMountOptions,
  WorkloadClientRecord, WorkloadConnectOptions,
} from './core/wiring';
export { WorkloadConstruct } from './core/workload';
export type { IWorkload } from './core/workload';
export { assertClaimOptions, claimTemplate, PersistentClaim } from './core/claims';
export type { ClaimAccessMode, ClaimOptions, PersistentClaimProps } from './core/claims';
export { TCP_WAIT_IMAGE } from './core/waits';
export type { TcpWaitOptions } from './core/waits';
export { assertSecretKey, SecretCommands, secretKeyEnv } from './core/secrets';
export type { SecretKey } from './core/secrets';

// Releases and the in-memory render pipeline
export { Release } from './release/release';
export type { ReleaseProps, SynthWarning, WarningFix } from './release/release';
export {
  distFiles, manifestFileName, notesText, OUTPUT_MARKER, OutputWriteError, releaseConnections, renderApp, renderRelease,
  REPORTS_DIR, SynthError, writeDist,
} from './release/synth';
export type { Manifest, RenderedRelease } from './release/synth';

// Verification of manifests (schema, policy, references, wiring, upgrades)
export { diffDistTrees, diffManifests, formatDistDiff, isEmptyDiff } from './verify/diff';
export type { ChangedDistObject, DistDiff, DistObjectRef, MovedDistObject } from './verify/diff';
export { KUBERNETES_SCHEMA_VERSION } from './verify/kubernetes';
export { loadManifestDir, loadManifestFiles, parseManifests } from './verify/load';
export type { LoadedManifests } from './verify/load';
export { OpsKitValidation } from './verify/plugin';
export type { OpsKitValidationProperties, ValidationPluginContext } from './verify/plugin';
export { EXTERNAL_KINDS } from './verify/references';
export { isPolicyRule, POLICY_RULES, rationale, RULES } from './verify/rules';
export type { PolicyRuleId } from './verify/rules';
export { SchemaValidator } from './verify/schema';
export { CRD_DIRS_ENV, defaultCrdDirs, defaultSchemaPath, packageCrdDir, SCHEMA_PATH_ENV } from './verify/schema-source';
export type {
  ExternalObject, HonouredException, KubeObject, NetworkPolicyMode, RuleCategory, RuleInfo, VerifyOptions, VerifyReport,
  Violation,
} from './verify/types';
export { checkUpgrade, compareDistTrees, formatUpgradeReport } from './verify/upgrade';
export type { UpgradeReport } from './verify/upgrade';
export { formatReport, verifyManifests, verifyReleases } from './verify/verify';
export type { VerifiableRelease, VerificationTiming } from './verify/verify';
export { networkFindings } from './verify/network';
export type { NetworkFinding, NetworkRelease } from './verify/network';
export { wiringFindings } from './verify/wiring';
export type { WiringFinding } from './verify/wiring';
export { synthRelease } from './verify/testing';
export type { ReleaseOutput } from './verify/testing';
export { synthesizeToDist, verifyAndWrite } from './verify/write';
export type { ReleaseWarning, SynthesizeOptions, VerifiedWrite } from './verify/write';

// GitOps delivery (Argo CD health checks, Helm packaging)
export { ARGOCD_HEALTH_KEY_PREFIX, ArgoCdHealthCheck, argoCdHealthCustomizations } from './gitops/health';
export type { ArgoCdHealthStatus } from './gitops/health';
export { escapeHelmTemplate, helmChartFiles, readDistReleases, renderedDifferences, writeHelmCharts } from './gitops/helm';
export type { DistRelease, HelmChartOptions } from './gitops/helm';
export { isArgoCdDeliveryFolder } from './gitops/helm';
export { ARGOCD_APPLICATION_KIND, ARGOCD_GROUP, ARGOCD_PROJECT_KIND } from './gitops/health';
export { ARGOCD_IN_CLUSTER, ArgoCdDestination, ArgoCdSync, DeliveryTarget } from './gitops/target';
export type {
  ArgoCdAutomatedSyncOptions, ArgoCdRetry, ArgoCdRetryOptions, ArgoCdSettings, ArgoCdTargetProps,
} from './gitops/target';
export {
  objectSyncWave, releaseDependencies, releaseSyncWaves, SYNC_WAVE_ANNOTATION, SYNC_WAVES, syncWaveFindings, withSyncWaves,
} from './gitops/ordering';
export type { OrderedObject, OrderedRelease, ReleaseDependencies, SyncWaveFinding } from './gitops/ordering';
export { ARGOCD_CM_DIR, ARGOCD_FINALIZER, renderArgoCd } from './gitops/argocd';
export type { ArgoCdOutput, ReleaseDelivery } from './gitops/argocd';
export { ARGOCD_DIR, argoCdFindings, verifyArgoCdTree } from './verify/argocd';
export type { ArgoCdCheckInput, ArgoCdFinding, ArgoCdObject } from './verify/argocd';
export { podSecurityLabels } from './verify/pod-security';
export type { PodSecurityLevel } from './verify/pod-security';

// Generic workload blocks (any image): WebService, Worker, Job, CronJob and their options
export { WorkloadBlock } from './workload/block';
export { ConcurrencyPolicy, CronJob } from './workload/cron-job';
export type { CronJobProps } from './workload/cron-job';
export { CronSchedule } from './workload/cron';
export { DisruptionBudget } from './workload/disruption';
export { CERT_MANAGER_CLUSTER_ISSUER, CERT_MANAGER_ISSUER, IngressTls, renderIngress } from './workload/ingress';
export type { CertManagerTlsOptions, RenderedIngress, WorkloadIngressOptions } from './workload/ingress';
export { Job, JOB_COMPLETION_INDEX_ANNOTATION, JOB_COMPLETION_INDEX_ENV, JobIndex, JobRestartPolicy } from './workload/job';
export type { JobProps, JobRunOptions } from './workload/job';
export { PreStop } from './workload/lifecycle';
export type {
  WorkloadContainerProps, WorkloadIdentityOptions, WorkloadInitContainerProps, WorkloadPodProps, WorkloadServiceAccountOptions,
} from './workload/pod';
export { Scaling, ScalingPolicy } from './workload/scaling';
export type { AutoscaleOptions, ScalingRules } from './workload/scaling';
export { HOSTNAME_TOPOLOGY_KEY, Spread, ZONE_TOPOLOGY_KEY } from './workload/spread';
export type { NodeSpreadOptions, TopologySpreadOptions } from './workload/spread';
export { AccessMode, PodVolume } from './workload/volumes';
export type { EmptyDirOptions, ExistingClaimOptions, FilesVolumeOptions, KeyedVolumeOptions, Mount, WorkloadClaimOptions } from './workload/volumes';
export { ServiceExposure, WebService } from './workload/web-service';
export type { HttpClientOptions, LoadBalancerExposureOptions, NodePortExposureOptions, WebServiceProps, WebServiceServiceOptions } from './workload/web-service';
export { Worker, WorkloadKind } from './workload/worker';
export type { DeploymentKindOptions, PrometheusScrapeOptions, StatefulSetKindOptions, WorkerProps } from './workload/worker';

// dimtensor: the ML workload in three modes
export { ML_DEFAULT_RESOURCES, ML_HTTP_PORT, ML_UID, MlData, mlImageRef, MlImageVariant, MlSecret, MlWorkload } from './dimtensor/ml-workload';
export type { MlCronJobProps, MlImageOptions, MlJobProps, MlServiceProps, MlWorkloadProps } from './dimtensor/ml-workload';

// Caddy as the L7 entry point
export { buildCaddyfile, CADDY_ADMIN_PORT, CADDY_TLS_MOUNT } from './ingress/caddy-config';
export type { CaddyfileProps } from './ingress/caddy-config';
export { CADDY_CONFIG_MOUNT, CaddyExternalTrafficPolicy, CaddyImage, CaddyIngress, CaddyServiceType } from './ingress/caddy-ingress';
export type {
  CaddyIngressProps, CaddyIngressResourceOptions, CaddyIngressTlsEntry, CaddyLoadBalancerOptions,
  CaddyNodePortOptions, CaddyServiceOptions, CaddyTopologySpreadOptions,
} from './ingress/caddy-ingress';
export { CaddyDirective, CaddyEnvRef, Caddyfile, CaddyQuoted, CaddySite } from './ingress/caddyfile';
export type { CaddyArg, CaddyDirectiveOptions } from './ingress/caddyfile';
export {
  CADDY_COOKIE_SECRET_ENV, CADDY_HEALTH_BODY, CADDY_HEALTH_CONTENT_TYPE, CADDY_HEALTH_PATH, CaddyCookieSecret,
  CaddyLbFallback, CaddyLogFormat, CaddyLogLevel, CaddyLogOutput, CaddyRouteAuth, CaddyUpstream,
} from './ingress/routing';
export type {
  CaddyAccessLogOptions, CaddyAuthSecretEnv, CaddyBasicAuthAccount, CaddyBasicAuthOptions, CaddyCookieSecretOptions,
  CaddyDynamicUpstreamOptions, CaddyEndpointPoolOptions, CaddyForwardAuthOptions, CaddyPoolFailoverOptions, CaddyProxyRoute,
  CaddySessionRoute, CaddySingleUpstreamOptions, CaddyStickyCookieOptions,
} from './ingress/routing';
export { CaddyHsts, CaddyTls, CaddyTlsMode } from './ingress/tls';
export type { CaddyExternalTlsOptions, CaddyHstsOptions, CaddyIngressTlsOptions, CaddySelfTlsOptions } from './ingress/tls';

// nginx config builder
export { NginxConfFile, NginxMainConfig } from './nginx/conf-file';
export type { NginxConfFileProps, NginxMainConfigProps } from './nginx/conf-file';
export { NginxDirective, NginxVar } from './nginx/directive';
export { NginxAction, NginxListen, NginxLocation, NginxMap, NginxServer } from './nginx/server';
export type { NginxListenOptions, NginxMapProps, NginxProxyOptions, NginxServerProps } from './nginx/server';

// NATS
export { NATS_CLIENT_PORT, NATS_MAX_PAYLOAD_LIMIT, NATS_MONITOR_PORT, NatsConfig } from './nats/config';
export type { NatsConfigProps, NatsJetStreamSettings } from './nats/config';
export { NatsExposure, NatsPersistence } from './nats/exposure';
export type { NatsLoadBalancerOptions, NatsNodePortOptions, NatsOpenLoadBalancer, NatsVolumeOptions } from './nats/exposure';
export { NATS_KV_MAX_HISTORY, NATS_KV_MAX_REPLICAS, NatsKvStorage, NatsKvTtl, kvStreamConfig } from './nats/kv';
export type { NatsKvBucket, NatsKvBucketSettings, NatsKvLimits } from './nats/kv';
export { NATS_BOX_IMAGE } from './nats/kv-job';
export type { NatsKvJobOptions } from './nats/kv-job';
export { NATS_IMAGE, NATS_MAX_NAME, NatsServer } from './nats/server';
export type { NatsClientOptions, NatsJetStreamLimits, NatsServerProps } from './nats/server';
export { NATS_CLUSTER_PORT } from './nats/config';
export type { NatsClusterSettings, NatsTlsSettings } from './nats/config';
export { NatsAuth, NatsTls } from './nats/auth';
export type { NatsTlsOptions, NatsUser } from './nats/auth';
export { ExternalNats, NATS_CA_DIR } from './nats/client';
export type { ExternalNatsOptions, INats } from './nats/client';
export type { NatsClusterOptions, NatsConnectOptions, NatsEnvNames } from './nats/server';

// Data services: Postgres
export { POSTGRES_CA_DIR, POSTGRES_PORT, PostgresEnv, PostgresTls } from './postgres/client';
export type { IPostgres, PostgresConnectOptions, PostgresEnvNames, PostgresLogin } from './postgres/client';
export { ExternalPostgres } from './postgres/external';
export { PostgresExporter } from './postgres/exporter';
export type { PostgresExporterProps } from './postgres/exporter';
export type { ExternalPostgresOptions } from './postgres/external';
export type { PostgresSettings } from './postgres/settings';
export {
  POSTGRES_EXPORTER_IMAGE, POSTGRES_EXPORTER_PORT, POSTGRES_IMAGE, POSTGRES_INITDB_DIR, POSTGRES_MAX_NAME,
  POSTGRES_PGDATA, POSTGRES_UID, PostgresDatabase, PostgresRole, PostgresServer,
} from './postgres/server';
export type {
  PostgresDatabaseOptions, PostgresExporterOptions, PostgresRoleOptions, PostgresServerProps, PostgresSuperuser,
} from './postgres/server';

// Data services: Valkey / Redis
export { ValkeyAuth } from './valkey/client';
export type { IValkey, ValkeyConnectOptions, ValkeyEnvNames } from './valkey/client';
export { VALKEY_PORT, ValkeyConfig } from './valkey/config';
export type { ValkeyConfigProps, ValkeyEvictionPolicy } from './valkey/config';
export { REDIS7_IMAGE, VALKEY_IMAGE, ValkeyEngine } from './valkey/engine';
export { ExternalValkey } from './valkey/external';
export type { ExternalValkeyOptions } from './valkey/external';
export { VALKEY_MAX_NAME, VALKEY_RUNTIME_CONFIG, VALKEY_UID, ValkeyConfigSource, ValkeyPersistence, ValkeyProbes, ValkeyServer } from './valkey/server';
export type { ValkeyIdentity, ValkeyServerProps } from './valkey/server';

// Data services: Object storage and MinIO
export { GcsAuth, GKE_WORKLOAD_IDENTITY_ANNOTATION, IRSA_ANNOTATION, S3Auth } from './object-storage/auth';
export type { S3KeysOptions } from './object-storage/auth';
export {
  MINIO_API_PORT, MINIO_CLIENT_IMAGE, MINIO_CONSOLE_PORT, MINIO_IMAGE, MINIO_MAX_NAME, MINIO_UID, MinioBucket,
  MinioServer,
} from './object-storage/minio';
export type { MinioRootCredentials, MinioServerProps } from './object-storage/minio';
export { GCS_KEY_DIR, OBJECT_STORAGE_DIR, ObjectStorage } from './object-storage/storage';
export type {
  FileStorageOptions, GcsStorageOptions, MinioStorageOptions, ObjectStorageConnectOptions, ObjectStorageEnvNames,
  S3StorageOptions,
} from './object-storage/storage';

// Data services: Qdrant
export { ExternalQdrant, QDRANT_GRPC_PORT, QDRANT_HTTP_PORT, QDRANT_P2P_PORT, QdrantAuth } from './qdrant/client';
export type { ExternalQdrantOptions, IQdrant, QdrantConnectOptions } from './qdrant/client';
export { QDRANT_GPU_IMAGE, QDRANT_IMAGE, QDRANT_MAX_NAME, QDRANT_UID, QdrantServer } from './qdrant/server';
export type { QdrantGpuOptions, QdrantServerProps } from './qdrant/server';

// Identity: Dex
export {
  assertIssuerUrl, assertRedirectUri, DEX_CONFIG_KEYS, DEX_DATA_DIR, DEX_GRPC_PORT, DEX_HTTP_PORT, DEX_IMAGE, DEX_STORAGE_TYPES,
  DEX_TELEMETRY_PORT, DEX_VERSION, DexConnector,
} from './dex/config';
export type { ConnectorSecretEnv, DexGitHubConnectorOptions, DexOidcConnectorOptions, DexStaticClient, DexStaticClientOptions } from './dex/config';
export { Dex, DEX_UID, DexClient } from './dex/dex';
export type { DexClientConnectOptions, DexClientEnvNames, DexProps } from './dex/dex';

// Search: Quickwit
export { Quickwit, QUICKWIT_GRPC_PORT, QUICKWIT_IMAGE, QUICKWIT_MAX_NAME, QUICKWIT_REST_PORT, QUICKWIT_UID, QuickwitMetastore } from './quickwit/quickwit';
export type { QuickwitProps } from './quickwit/quickwit';

// Telemetry stack
export { CollectorConfig, CollectorEnv } from './telemetry/collector-config';
export type { CollectorPipeline, ComponentKind, ComponentSettings } from './telemetry/collector-config';
export { FsGroup, TELEMETRY_IMAGES, TELEMETRY_STORAGE_CLASS } from './telemetry/common';
export type { TelemetryPersistence, TelemetryRoute } from './telemetry/common';
export { DcgmExporter, DcgmExporterSource, GPU_PRESENT_LABEL } from './telemetry/dcgm-exporter';
export type { DcgmExporterOptions, DcgmExporterProps } from './telemetry/dcgm-exporter';
export { GrafanaDatasources } from './telemetry/grafana-datasources';
export type { GrafanaDatasource, GrafanaServiceDatasource } from './telemetry/grafana-datasources';
export { GRAFANA_DASHBOARD_SIDECAR_IMAGE, Grafana } from './telemetry/grafana';
export type { GrafanaDashboardSidecarOptions, GrafanaOptions, GrafanaProps } from './telemetry/grafana';
export { Jaeger } from './telemetry/jaeger';
export type { JaegerOptions, JaegerProps } from './telemetry/jaeger';
export { CloudAuth, OtlpProtocol, TelemetryMode } from './telemetry/mode';
export type { CloudOptions, GrafanaAdminSecret, ResolvedCloudOptions, SelfHostedOptions } from './telemetry/mode';
export { HOST_IP_ENV, NodeExporter, NodeExporterHostAccess, NodeExporterSource } from './telemetry/node-exporter';
export type { NodeExporterOptions, NodeExporterProps } from './telemetry/node-exporter';
export { COLLECTOR_DEFAULT_TOLERATIONS, OtelCollector } from './telemetry/otel-collector';
export type { OtelClientOptions, OtelCollectorOptions, OtelCollectorProps } from './telemetry/otel-collector';
export { OtelGateway } from './telemetry/otel-gateway';
export type { OtelGatewayProps, OtlpDestination } from './telemetry/otel-gateway';
export { podScrapeJob, PrometheusConfig, staticScrapeJob } from './telemetry/prometheus-config';
export type {
  KubernetesSdConfig, KubernetesSdRole, PodScrapeJobOptions, PrometheusGlobalConfig, RelabelAction, RelabelConfig,
  ScrapeConfig, StaticConfig,
} from './telemetry/prometheus-config';
export { Prometheus, PROMETHEUS_CLAIM_SIZE, PROMETHEUS_RETENTION_SHARE } from './telemetry/prometheus';
export type { PrometheusOptions, PrometheusProps } from './telemetry/prometheus';
export { TelemetryStack } from './telemetry/telemetry-stack';
export { ExporterSource, ScrapeTarget } from './telemetry/scrape';
export type { BundledExporterProps, ExporterBinding, ExternalExporterOptions, IBundledExporter, ScrapeJobOptions } from './telemetry/scrape';
export type { TelemetryRoutePrefixes, TelemetryStackProps } from './telemetry/telemetry-stack';

// IoT fleet
export {
  IOT_AGGREGATE_STATUS_SCHEMA, IOT_API_VERSION, IOT_DEPLOYMENT_CRD_NAME,
  IOT_DEPLOYMENT_KIND, IOT_DEPLOYMENT_PLURAL, IOT_DEPLOYMENT_PRINTER_COLUMNS, IOT_DEPLOYMENT_SCHEMA,
  IOT_AGENT_LIMITS, IOT_BUCKET_LIMITS, IOT_DEPLOYMENT_SHORT_NAMES, IOT_DEPLOYMENT_SINGULAR, IOT_EVENT_SEVERITIES, IOT_GROUP, IOT_PORT_MAPPING_PATTERN,
  IOT_ROLLOUT_STRATEGIES, IOT_SCORE_TYPES, IOT_SELECTOR_OPERATORS, IOT_STATUS_SCHEMA, IOT_VERSION, IotDeploymentCrd,
} from './iot/crd';
export type { IotAggregateStatusField, IotDeploymentCrdProps } from './iot/crd';
export { FleetDeployment, FleetRollout } from './iot/deployment';
export type {
  DeviceSelector, DeviceSelectorRequirement, DeviceSelectorSupport, FleetDeploymentFindings, FleetDeploymentOptions,
  FleetPortMapping,
} from './iot/deployment';
export { FleetNamespace, IOT_AGENT_STATUS_BUCKET, IOT_DESIRED_STATE_BUCKET, IOT_NATS_SYNC_WAVE, IotFleet, iotFleetBucketSettings } from './iot/fleet';
export type { IotFleetBuckets, IotFleetCapacity, IotFleetNatsOptions, IotFleetOperatorOptions, IotFleetProps } from './iot/fleet';
export { IOT_OPERATOR_ENV, IOT_OPERATOR_IMAGE, IOT_OPERATOR_RULES, IotOperator, OperatorProbes, OperatorScope } from './iot/operator';
export type { IotOperatorProps, OperatorHttpProbeOptions } from './iot/operator';
export type { CrdSchema } from './iot/schema';

// Graphistry
export {
  DEFAULT_CUDA_VARIANT, DEFAULT_GRAPHISTRY_TAG, defaultNginxResolver, GRAPHISTRY_REGISTRY_PATH,
  GRAPHISTRY_ROOT_CAPABILITIES, graphistryImage, GraphistryRepositories, graphistryRootProfile,
  NGINX_DEFAULT_RESOURCES,
} from './graphistry/defaults';
export {
  DATA_PATH, ENGINE_DEFAULT_PRESTOP_DELAY, ENGINE_DEFAULT_RESOURCES, ENGINE_TERMINATION_GRACE, EngineContainers,
  EngineDaemonSet, EngineNames, EnginePortNames, NEXUS_STATIC_PATH, UPLOADS_PATH, VIZ_BUILD_PATH,
} from './graphistry/engine';
export type { EngineContainerOptions, EngineDaemonSetProps, StreamglGpuOptions } from './graphistry/engine';
export { NEXUS_PROXY_NAME, NEXUS_PROXY_PORT, NexusProxy, PIVOT_WWW_PATH } from './graphistry/nexus-proxy';
export type { NexusProxyProps } from './graphistry/nexus-proxy';
export { GRAPHISTRY_OTEL_SDK_DEFAULTS } from './graphistry/otel';
export type { GraphistryOtelSdkOptions } from './graphistry/otel';
export {
  DASK_DASHBOARD_PORT, DEFAULT_STREAMGL_WORKERS, ENGINE_DISPATCHER_PORT, ENGINE_NGINX_PORT, EnginePortPlan,
  FORGE_ETL_PYTHON_PORT, STREAMGL_GPU_PORT, STREAMGL_SESSIONS_PORT, STREAMGL_VIZ_PORT, STREAMGL_VIZ_SECONDARY_PORT,
} from './graphistry/ports';
export type { DispatchRoute, EnginePortPlanOptions, PortAllocation } from './graphistry/ports';
export { Postgres } from './graphistry/postgres';
export type { CrunchyPostgresProps, ExternalPostgresProps, PostgresClientOptions, SecretKeyRef, ServerPostgresProps } from './graphistry/postgres';
export { basicAuthSecretCommand, DOCKER_HUB_AUTH_SERVER, GRAPHISTRY_TELEMETRY_AUTH_SECRET, GraphistrySecretKind } from './graphistry/secrets';
export { DaskScheduler } from './graphistry/services/dask-scheduler';
export type { DaskSchedulerClientOptions, DaskSchedulerProps } from './graphistry/services/dask-scheduler';
export {
  GRAPHISTRY_REDIS_DATABASE, GRAPHISTRY_SERVICE_CAPABILITIES, graphistryServiceProfile, GraphistryServiceRepositories, REDIS_IMAGE,
  SERVICE_DEFAULT_RESOURCES, ServiceNames, ServicePorts,
} from './graphistry/services/defaults';
export { GAK_APPS_PATH, GAK_VIEW_DIRECTORIES, GraphAppKit, GraphAppKitVariant } from './graphistry/services/graph-app-kit';
export type { GraphAppKitCredentials, GraphAppKitProps } from './graphistry/services/graph-app-kit';
export { Nexus, NEXUS_MEDIA_PATH, NEXUS_SEED_DEFAULTS, StripeWebhookValidation } from './graphistry/services/nexus';
export type { NexusProps, NexusSettings } from './graphistry/services/nexus';
export { Notebook, NOTEBOOK_GAK_PATHS } from './graphistry/services/notebook';
export type { NotebookProps } from './graphistry/services/notebook';
export { Pivot } from './graphistry/services/pivot';
export type { PivotProps } from './graphistry/services/pivot';
export { GRAPHISTRY_REDIS_NO_AUTH_REASON, Redis, REDIS_UID } from './graphistry/services/redis';
export type { RedisClientOptions, RedisProps } from './graphistry/services/redis';
export { GraphistryService } from './graphistry/services/workload';
export type { GraphistryServiceOptions, ServiceCommonProps } from './graphistry/services/workload';
export { GRAPHISTRY_SESSION_ROUTES, GRAPHISTRY_STICKY_COOKIE, GraphistryStack } from './graphistry/stack';
export type {
  GraphAppKitVariantOptions, GraphistryCaddyOptions, GraphistryEngineOptions, GraphistryGpuServiceOptions,
  GraphistryGraphAppKitOptions, GraphistryNexusOptions, GraphistryNexusProxyOptions, GraphistryStackProps,
  GraphistryTelemetryOptions,
} from './graphistry/stack';
export { GRAPHISTRY_STORAGE_CLASS, GraphistryClaims, GraphistryStorage, KEEP_ON_PRUNE_ANNOTATIONS, StorageAccessMode } from './graphistry/storage';
export type { GraphistryClaimOptions, GraphistryStorageProps } from './graphistry/storage';
export { Tier } from './graphistry/tier';

// semantic-explorer: the application services on the workload blocks and the data-services components
export { SEMANTIC_EXPLORER_REPOSITORY_PREFIX, SemanticExplorerService } from './semantic-explorer/images';
export type { SemanticExplorerImages } from './semantic-explorer/images';
export {
  SEMANTIC_EXPLORER_API_PORT, SEMANTIC_EXPLORER_EMBEDDING_PORT, SEMANTIC_EXPLORER_INFERENCE_UID, SEMANTIC_EXPLORER_LLM_PORT,
  SEMANTIC_EXPLORER_MODELS_DIR, SEMANTIC_EXPLORER_OIDC_ENV, SEMANTIC_EXPLORER_TENSORRT_DIR, SEMANTIC_EXPLORER_VISUALIZATIONS_HEALTH_PORT,
  SEMANTIC_EXPLORER_WORKER_HEALTH_PORT, SemanticExplorer,
} from './semantic-explorer/semantic-explorer';
export type {
  SemanticExplorerApiOptions, SemanticExplorerDatabase, SemanticExplorerEmbeddingOptions, SemanticExplorerGpuOptions,
  SemanticExplorerInferenceOptions, SemanticExplorerInfrastructure, SemanticExplorerProps, SemanticExplorerTelemetry, SemanticExplorerWorkerOptions,
} from './semantic-explorer/semantic-explorer';

// Forgejo, the git forge
export { FORGEJO_CONFIG_DIR, FORGEJO_DATA_DIR, FORGEJO_HEALTH_PATH, FORGEJO_HTTP_PORT, FORGEJO_IMAGE, FORGEJO_MAX_NAME, FORGEJO_UID, ForgejoServer } from './forgejo/server';
export type { ForgejoServerProps } from './forgejo/server';

// EDEN: the reference deployment with a typed bring-up
export { EDEN_BLOB_DIR, EdenBlobs } from './eden/blobs';
export type { EdenFileBlobsOptions } from './eden/blobs';
export { EDEN_CONFIG_PATH, EDEN_CONFIG_URI, EDEN_CREDENTIAL_HELPER, EDEN_CREDENTIAL_HELPER_PATH, EDEN_GIT_USER, EdenExperimentConfig } from './eden/config';
export { EDEN_CONTROL_PLANE_DATABASE, EDEN_POSTGRES_KEYS, EdenDatabase } from './eden/database';
export type { EdenExternalDatabaseOptions, EdenInClusterDatabaseOptions } from './eden/database';
export {
  EDEN_APP_KEYS, EDEN_ARTIFACTS_DIR, EDEN_CLONE_DIR, EDEN_CONTROL_PLANE_PORT, EDEN_CREDENTIAL_DIR, EDEN_FORGEJO_KEYS, EDEN_MAX_NAME, EDEN_REPO_PATH,
  EDEN_SEED_DIR, EDEN_TASK_STORE_PORT, EDEN_UID, EDEN_WEB_UI_PORT, EdenExperiment,
} from './eden/experiment';
export type {
  EdenExperimentProps, EdenExperimentSpec, EdenImageOptions, EdenLeaseModeOptions, EdenReplicas, EdenSecretNames, EdenStorageOptions,
} from './eden/experiment';
export { AppTier, EDEN_EXPERIMENT_ID, EDEN_IDENTITY_SERVICES, EDEN_TOKEN_KEY, EDEN_WORKER_ID, EdenIdentity } from './eden/tier';
export type { EdenIdentities, EdenWorker, PendingAppTierOptions, ReadyAppTierOptions } from './eden/tier';
