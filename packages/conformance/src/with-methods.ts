import type { IBlockDeviceAPI, IProfiledBlockDeviceAPI } from '@flockerjs/core-interface';

/** Members {@link withMethods} can replace: the contract's, optional ones included. */
export type ApiMethods = Partial<Omit<IProfiledBlockDeviceAPI, 'capabilities'>>;

/**
 * `api` with some members replaced, every other member read from `api` and bound to it (so drivers with
 * #private state keep working). For wrappers, and for tests that prove the suite by breaking a driver on purpose.
 */
export function withMethods(api: IBlockDeviceAPI, methods: ApiMethods): IBlockDeviceAPI {
  // The proxy's own target is a blank object, so even a frozen driver's members can be replaced.
  return new Proxy(Object.create(null) as IBlockDeviceAPI, {
    get(_blank, property) {
      const replaced = (methods as Record<PropertyKey, unknown>)[property];
      if (replaced !== undefined) return replaced;
      const value: unknown = Reflect.get(api, property, api);
      return typeof value === 'function' ? value.bind(api) : value;
    },
  });
}
