// Flat config: typescript-eslint with type information for every TypeScript file.
import js from "@eslint/js";
import globals from "globals";
import tseslint from "typescript-eslint";

const infrastructure = ["pg", "kafkajs", "ioredis", "fastify", "@kruzhok/postgres", "@kruzhok/messaging", "@kruzhok/http"];

// Use cases and rules know nothing of HTTP: they take an actor (@kruzhok/actor) and a command and
// throw domain errors; the route turns those into responses.
const httpMessage = "usecases/ and domain/ know nothing of HTTP: take an Actor (@kruzhok/actor) and a command, throw domain errors.";
const httpPaths = ["@kruzhok/http", "fastify"].map((name) => ({ name, message: httpMessage }));
const httpPatterns = [{ group: ["fastify-*", "@fastify/*"], message: httpMessage }];
const kafkajsOnlyInMessaging = { name: "kafkajs", message: "Only packages/messaging imports kafkajs." };

// SQL text: a string or template literal that begins (after whitespace) with a statement's first
// keyword. Statements are written in capitals in this house, so English text is not mistaken.
const sqlStart = "/^\\s*(SELECT|INSERT|UPDATE|DELETE|WITH|MERGE|TRUNCATE|LOCK|LISTEN|UNLISTEN|NOTIFY|CREATE|ALTER|DROP)\\b/";
const sqlMessage = "SQL lives in the service's store/: one function per query, taking a client or transaction.";
const noSqlOutsideStore = [
  "error",
  { selector: `Literal[value=${sqlStart}]`, message: sqlMessage },
  { selector: `TemplateLiteral[quasis.0.value.raw=${sqlStart}]`, message: sqlMessage },
];

export default tseslint.config(
  { ignores: ["**/node_modules/**", ".local/**", "coverage/**", "**/*.generated.*", "**/generated/**"] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  ...tseslint.configs.stylisticTypeChecked,
  {
    languageOptions: {
      globals: { ...globals.node },
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      "no-console": "error",
      "@typescript-eslint/consistent-type-imports": "error",
      "@typescript-eslint/switch-exhaustiveness-check": "error",
      "@typescript-eslint/no-floating-promises": "error",
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "@typescript-eslint/consistent-type-definitions": "off",
      // Fastify plugins are async by contract even when they register routes synchronously.
      "@typescript-eslint/require-await": "off",
      "@typescript-eslint/restrict-template-expressions": ["error", { allowNumber: true }],
      "no-restricted-imports": ["error", { paths: [kafkajsOnlyInMessaging] }],
    },
  },
  {
    files: ["packages/messaging/**/*.ts", "test/**/*.ts"],
    rules: { "no-restricted-imports": "off" },
  },
  {
    // Use cases: who may act, load, decide, write; no HTTP.
    files: ["services/*/src/usecases/**/*.ts"],
    rules: {
      "no-restricted-imports": ["error", { paths: [kafkajsOnlyInMessaging, ...httpPaths], patterns: httpPatterns }],
    },
  },
  {
    // Pure domain: decisions take state, commands and `now`; no I/O, no HTTP.
    files: ["services/*/src/domain/**/*.ts"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          paths: infrastructure.map((name) => ({ name, message: "domain/ is pure: no I/O imports." })),
          patterns: [{ group: ["**/store/**", "**/http/**", "**/messaging/**"], message: "domain/ is pure." }, ...httpPatterns],
        },
      ],
    },
  },
  {
    // Every SQL statement of a service is in its store/.
    files: ["services/*/src/**/*.ts"],
    ignores: ["services/*/src/store/**"],
    rules: { "no-restricted-syntax": noSqlOutsideStore },
  },
  {
    files: ["**/*.js", "**/*.mjs"],
    ...tseslint.configs.disableTypeChecked,
  },
);
