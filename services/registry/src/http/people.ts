import type { FastifyPluginAsync } from "fastify";
import type { RegistryDeps } from "../deps";

export const peopleRoutes: FastifyPluginAsync<RegistryDeps> = async () => {
  // routes to come
};
