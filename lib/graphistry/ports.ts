import { ConfigError } from '../core/errors';
import { Tier } from './tier';
import { assertInt } from '../core/validate';
import { compareText } from '../core/order';

/** nginx's public listener inside the engine pod (Caddy's upstream, the `nginx` Service's target). */
export const ENGINE_NGINX_PORT = 80;
/** The intra-pod Host-header dispatcher: app code calls `http://<service>:8080` and hostAliases send it here. */
export const ENGINE_DISPATCHER_PORT = 8080;
/** streamgl-viz's HTTP listener (its PORT). */
export const STREAMGL_VIZ_PORT = 8081;
/** streamgl-viz's second listener, published by its shim Service too. */
export const STREAMGL_VIZ_SECONDARY_PORT = 3100;
/** streamgl-sessions' HTTP listener (its PORT). */
export const STREAMGL_SESSIONS_PORT = 8082;
/** streamgl-gpu's router (its PORT); workers bind PORT+1..PORT+N and the list-server PORT+N+1. */
export const STREAMGL_GPU_PORT = 8090;
/**
 * forge-etl-python's listener (its PORT). Placed at 8200 so streamgl-gpu's port range (8090 up to the list-server)
 * has room for 108 workers; at the old 8100 nine workers already collided.
 */
export const FORGE_ETL_PYTHON_PORT = 8200;
/** dask-cuda-worker's dashboard, bound to localhost (its /health is the worker's liveness). */
export const DASK_DASHBOARD_PORT = 8787;
/** Default number of streamgl-gpu workers (the image's own default). */
export const DEFAULT_STREAMGL_WORKERS = 4;

/** One service name the dispatcher answers for, and the local port it forwards to. */
export interface DispatchRoute {
  /** The host name app code dials (`forge-etl-python`), pinned to 127.0.0.1 by the pod's hostAliases. */
  readonly host: string;
  /** The local port of the container serving it. */
  readonly port: number;
}

/** One line of the port layout, for messages and docs. */
export interface PortAllocation {
  /** Who binds the port(s). */
  readonly owner: string;
  /** First port. */
  readonly from: number;
  /** Last port (equal to `from` for a single port). */
  readonly to: number;
}

/** Options of `EnginePortPlan.forTier`. */
export interface EnginePortPlanOptions {
  /**
   * STREAMGL_NUM_WORKERS: how many GPU worker processes streamgl-gpu forks. Each takes a port above the router's.
   * @default 4
   */
  readonly streamglWorkers?: number;
  /**
   * Prop path used in error messages.
   * @default 'streamglGpu.workers'
   */
  readonly prop?: string;
}

/**
 * The engine pod's port plan, the one source of truth for container PORT env, containerPorts, probes, Services and
 * the nginx dispatcher. All containers share one network namespace, so every port must be distinct; the only
 * geometry that can collide is streamgl-gpu's, which grows with the worker count (its image hardcodes workers at
 * PORT+i and the list-server at PORT+N+1).
 */
export class EnginePortPlan {
  /**
   * The plan for a tier. At viz and above (where streamgl-gpu runs) it refuses a worker count whose list-server port
   * would reach forge-etl-python's; at analytics the worker count is not used and is not limited.
   */
  public static forTier(tier: Tier, options: EnginePortPlanOptions = {}): EnginePortPlan {
    const prop = options.prop ?? 'streamglGpu.workers';
    const n = options.streamglWorkers ?? DEFAULT_STREAMGL_WORKERS;
    assertInt(prop, n, { min: 1 });
    const plan = new EnginePortPlan(tier, n);
    if (tier.atLeast(Tier.VIZ) && plan.listServer >= FORGE_ETL_PYTHON_PORT) {
      const layout = EnginePortPlan.describe(plan.allocations());
      throw new ConfigError(
        prop,
        n,
        `1 to ${EnginePortPlan.maxStreamglWorkers()}`,
        `the list-server port ${STREAMGL_GPU_PORT}+${n}+1=${plan.listServer} collides with forge-etl-python on ${FORGE_ETL_PYTHON_PORT} ` +
          `(port layout: ${layout}); the largest safe value is ${EnginePortPlan.maxStreamglWorkers()}`,
      );
    }
    return plan;
  }

  /** The largest worker count whose list-server port stays below forge-etl-python's (108). */
  public static maxStreamglWorkers(): number {
    return FORGE_ETL_PYTHON_PORT - STREAMGL_GPU_PORT - 2;
  }

  /** `nginx 80, dispatcher 8080, ...` */
  public static describe(allocations: readonly PortAllocation[]): string {
    return allocations.map((a) => `${a.owner} ${a.from === a.to ? a.from : `${a.from}-${a.to}`}`).join(', ');
  }

  /** nginx's public listener (80). */
  public readonly nginx = ENGINE_NGINX_PORT;
  /** The intra-pod Host-header dispatcher (8080). */
  public readonly dispatcher = ENGINE_DISPATCHER_PORT;
  /** forge-etl-python's listener (8200). */
  public readonly forgeEtlPython = FORGE_ETL_PYTHON_PORT;
  /** dask-cuda-worker's dashboard, on localhost (8787). */
  public readonly daskDashboard = DASK_DASHBOARD_PORT;
  /** streamgl-viz's listener (8081). */
  public readonly streamglViz = STREAMGL_VIZ_PORT;
  /** streamgl-viz's second listener (3100). */
  public readonly streamglVizSecondary = STREAMGL_VIZ_SECONDARY_PORT;
  /** streamgl-sessions' listener (8082). */
  public readonly streamglSessions = STREAMGL_SESSIONS_PORT;
  /** streamgl-gpu's router (8090); its workers follow it. */
  public readonly streamglGpu = STREAMGL_GPU_PORT;

  private constructor(
    public readonly tier: Tier,
    /** STREAMGL_NUM_WORKERS. */
    public readonly streamglWorkers: number,
  ) {}

  /** First and last worker port (PORT+1 .. PORT+N). */
  public get streamglWorkerPorts(): { readonly from: number; readonly to: number } {
    return { from: this.streamglGpu + 1, to: this.streamglGpu + this.streamglWorkers };
  }

  /** streamgl-gpu's list-server (PORT+N+1), where `/check-workers` answers. */
  public get listServer(): number {
    return this.streamglGpu + this.streamglWorkers + 1;
  }

  /** Whether the streamgl containers run at this tier. */
  public get hasStreamgl(): boolean {
    return this.tier.atLeast(Tier.VIZ);
  }

  /** Every port the tier's containers bind, in ascending order. */
  public allocations(): PortAllocation[] {
    const a: PortAllocation[] = [
      { owner: 'nginx', from: this.nginx, to: this.nginx },
      { owner: 'dispatcher', from: this.dispatcher, to: this.dispatcher },
      { owner: 'forge-etl-python', from: this.forgeEtlPython, to: this.forgeEtlPython },
      { owner: 'dask-cuda-worker dashboard', from: this.daskDashboard, to: this.daskDashboard },
    ];
    if (this.hasStreamgl) {
      a.push(
        { owner: 'streamgl-viz', from: this.streamglViz, to: this.streamglViz },
        { owner: 'streamgl-viz secondary', from: this.streamglVizSecondary, to: this.streamglVizSecondary },
        { owner: 'streamgl-sessions', from: this.streamglSessions, to: this.streamglSessions },
        { owner: 'streamgl-gpu', from: this.streamglGpu, to: this.streamglGpu },
        { owner: 'streamgl-gpu workers', ...this.streamglWorkerPorts },
        { owner: 'streamgl-gpu list-server', from: this.listServer, to: this.listServer },
      );
    }
    return a.sort((x, y) => x.from - y.from || x.to - y.to);
  }

  /**
   * The service names the :8080 dispatcher answers for and where each goes: forge-etl-python at every engine tier,
   * the streamgl services at viz and above.
   */
  public dispatchRoutes(): DispatchRoute[] {
    const routes: DispatchRoute[] = [{ host: 'forge-etl-python', port: this.forgeEtlPython }];
    if (this.hasStreamgl) {
      routes.push(
        { host: 'streamgl-gpu', port: this.streamglGpu },
        { host: 'streamgl-sessions', port: this.streamglSessions },
        { host: 'streamgl-viz', port: this.streamglViz },
      );
    }
    return routes.sort((x, y) => compareText(x.host, y.host));
  }
}
