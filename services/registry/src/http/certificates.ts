import type { FastifyPluginAsync } from "fastify";
import type { RegistryDeps } from "../deps";

export const certificatesRoutes: FastifyPluginAsync<RegistryDeps> = async () => {
  // routes to come
};
