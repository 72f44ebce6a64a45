import { defineConfig } from 'vitest/config'

// No plugins: Vite's own transform handles TypeScript and JSX (tsconfig "jsx": "react-jsx").
export default defineConfig({
  base: '/',
  build: {
    // dist/ itself is committed (dist/.gitkeep) so go:embed always has something to embed.
    outDir: 'dist/console',
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: false,
    modulePreload: { polyfill: false },
  },
  server: {
    host: '127.0.0.1',
    // `npm run dev` next to `make run`: the API is platform-api's.
    proxy: { '/api': 'http://127.0.0.1:8080' },
  },
  test: {
    include: ['src/**/*.test.{ts,tsx}'],
    environment: 'node',
  },
})
