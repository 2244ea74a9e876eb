// What a test run knows of its infrastructure, apart from how it is brought up (bring-up.ts):
// the containers and the service processes name it without importing the bring-up, which
// imports the containers.

/** Where the test run finds Postgres (an admin connection), Redis and Kafka. */
export interface Infrastructure {
  databaseUrl: string;
  redisUrl: string;
  kafkaBrokers: string[];
  /** How it was found: the environment, containers, or deploy/local. */
  source: "environment" | "testcontainers" | "deploy-local";
}

export interface StartedInfrastructure extends Infrastructure {
  stop(): Promise<void>;
}
