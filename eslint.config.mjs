import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["dist/**", "packages/*/dist/**", "**/node_modules/**", "**/*.tgz", ".tmp/**"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ["**/*.mjs", "**/*.cjs", "**/*.js"],
    languageOptions: {
      globals: {
        process: "readonly",
        console: "readonly",
        require: "readonly",
        module: "writable",
        __dirname: "readonly",
        URL: "readonly",
        setTimeout: "readonly",
        clearTimeout: "readonly",
      },
    },
  },
  {
    // zod is loaded through src/zod.ts (the client) and src/zod-mini.ts (the provider), which the
    // build bundles without zod's locales (issue 18): a value import of "zod" elsewhere would load
    // the whole package again.
    files: ["src/**/*.ts"],
    ignores: ["src/zod.ts", "src/zod-mini.ts"],
    rules: {
      "@typescript-eslint/no-restricted-imports": [
        "error",
        {
          paths: [
            {
              name: "zod",
              message: 'import * as z from "../zod" (src/zod.ts): the build bundles it without the locales',
              allowTypeImports: true,
            },
            {
              name: "zod/mini",
              message:
                'import * as z from "../zod-mini" (src/zod-mini.ts): the build bundles it without the locales',
              allowTypeImports: true,
            },
          ],
        },
      ],
    },
  },
  {
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "@typescript-eslint/no-require-imports": "off",
    },
  },
);
