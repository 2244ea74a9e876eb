import type { FastifyPluginAsync } from "fastify";
import type { RegistryDeps } from "../deps";

export const providersRoutes: FastifyPluginAsync<RegistryDeps> = async () => {
  // routes to come
};
