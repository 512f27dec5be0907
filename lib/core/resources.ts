import { Size, SizeRoundingBehavior } from 'cdk8s';
import { Cpu, k8s } from 'cdk8s-plus-28';
import { check } from './errors';
import { assertInt } from './validate';
import { compareText } from './order';

/**
 * Requests and limits for one container. Both are required: a container without requests is scheduled blind and one
 * without limits can starve its neighbours (the verification layer enforces this on every container).
 */
export interface Resources {
  /** CPU request and limit. */
  readonly cpu: { readonly request: Cpu; readonly limit: Cpu };
  /** Memory request and limit. */
  readonly memory: { readonly request: Size; readonly limit: Size };
  /**
   * Extended resources as limits (and equal requests), for example `{ 'nvidia.com/gpu': 1 }`.
   * @default - none
   */
  readonly extended?: Readonly<Record<string, number>>;
  /**
   * Resources requested but not limited. `ephemeral-storage` reserves node disk for an emptyDir whose own `sizeLimit`
   * already caps it, so the scheduler accounts for the disk without a container-wide limit (which would also count
   * logs and the writable layer, and evict the pod for them).
   * @default - none
   */
  readonly requestsOnly?: RequestOnlyResources;
}

/** Resources a container requests without a limit. */
export interface RequestOnlyResources {
  /**
   * Local ephemeral storage (emptyDir, logs, writable layer) the scheduler reserves on the node.
   * @default - none requested
   */
  readonly 'ephemeral-storage'?: Size;
}

/**
 * CPU quantity in millicores.
 * @internal
 */
export function cpuMillis(cpu: Cpu): number {
  const a = cpu.amount;
  return a.endsWith('m') ? Number(a.slice(0, -1)) : Math.round(Number(a) * 1000);
}

/** Shorthand: `resources('100m', '1', '128Mi', '512Mi')`-style typed constructor from millicores and mebibytes. */
export function sized(cpuRequestMillis: number, cpuLimitMillis: number, memRequestMi: number, memLimitMi: number): Resources {
  return {
    cpu: { request: Cpu.millis(cpuRequestMillis), limit: Cpu.millis(cpuLimitMillis) },
    memory: { request: Size.mebibytes(memRequestMi), limit: Size.mebibytes(memLimitMi) },
  };
}

/**
 * A memory or storage size as a Kubernetes quantity in the largest binary unit that divides it (`20Gi`, `512Mi`,
 * `100Ki`). A fraction of a KiB is rounded up, so a limit or request never ends up below what was asked. The one
 * size-to-quantity conversion of the library.
 */
export function sizeQuantity(size: Size): string {
  const ki = Math.ceil(size.toKibibytes({ rounding: SizeRoundingBehavior.NONE }));
  if (ki % (1024 * 1024) === 0) return `${ki / (1024 * 1024)}Gi`;
  return ki % 1024 === 0 ? `${ki / 1024}Mi` : `${ki}Ki`;
}

/** `sizeQuantity` as the typed quantity the `k8s` classes take. */
export function quantityOf(size: Size): k8s.Quantity {
  return k8s.Quantity.fromString(sizeQuantity(size));
}


const RESOURCES_SHAPE = 'requests and limits: { cpu: { request, limit }, memory: { request, limit } } (sized(cpuRequestMillis, cpuLimitMillis, memRequestMi, memLimitMi))';

/**
 * Fails unless `r` has a CPU and a memory request and limit (a container without them is scheduled blind or starves
 * its neighbours); for callers that read the value before `renderResources` does.
 * @internal
 */
export function assertResources(prop: string, r: Resources): Resources {
  const isCpu = (c: unknown) => c instanceof Cpu;
  const isSize = (c: unknown) => c instanceof Size;
  check(r !== undefined && r !== null && typeof r === 'object', prop, r, RESOURCES_SHAPE);
  check(isCpu(r.cpu?.request) && isCpu(r.cpu?.limit), `${prop}.cpu`, r.cpu, 'a request and a limit: { request: Cpu.millis(500), limit: Cpu.millis(2000) }');
  check(isSize(r.memory?.request) && isSize(r.memory?.limit), `${prop}.memory`, r.memory, 'a request and a limit: { request: Size.gibibytes(2), limit: Size.gibibytes(8) }');
  return r;
}

/** Validates and renders a Resources value as a Kubernetes ResourceRequirements. */
export function renderResources(prop: string, r: Resources): k8s.ResourceRequirements {
  assertResources(prop, r);
  const reqCpu = cpuMillis(r.cpu.request);
  const limCpu = cpuMillis(r.cpu.limit);
  check(reqCpu > 0, `${prop}.cpu.request`, r.cpu.request.amount, 'more than 0');
  check(limCpu >= reqCpu, `${prop}.cpu.limit`, r.cpu.limit.amount, `at least the request (${r.cpu.request.amount})`);
  const reqMem = r.memory.request.toKibibytes();
  const limMem = r.memory.limit.toKibibytes();
  check(reqMem > 0, `${prop}.memory.request`, sizeQuantity(r.memory.request), 'more than 0');
  check(limMem >= reqMem, `${prop}.memory.limit`, sizeQuantity(r.memory.limit), `at least the request (${sizeQuantity(r.memory.request)})`);
  const requests: Record<string, k8s.Quantity> = {
    cpu: k8s.Quantity.fromString(r.cpu.request.amount),
    memory: k8s.Quantity.fromString(sizeQuantity(r.memory.request)),
  };
  const limits: Record<string, k8s.Quantity> = {
    cpu: k8s.Quantity.fromString(r.cpu.limit.amount),
    memory: k8s.Quantity.fromString(sizeQuantity(r.memory.limit)),
  };
  for (const [name, n] of Object.entries(r.extended ?? {}).sort(([a], [b]) => compareText(a, b))) {
    assertInt(`${prop}.extended.${name}`, n, { min: 0 });
    if (n === 0) continue;
    requests[name] = k8s.Quantity.fromNumber(n);
    limits[name] = k8s.Quantity.fromNumber(n);
  }
  const storage = r.requestsOnly?.['ephemeral-storage'];
  if (storage !== undefined) {
    // Whole KiB, rounded up: a fractional size must not reserve less than asked.
    const q = sizeQuantity(storage);
    check(storage.toKibibytes({ rounding: SizeRoundingBehavior.NONE }) > 0, `${prop}.requestsOnly.ephemeral-storage`, q, 'more than 0');
    requests['ephemeral-storage'] = k8s.Quantity.fromString(q);
  }
  return { requests, limits };
}
