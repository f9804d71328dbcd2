// One headless Chromium and the repository served on 127.0.0.1 for a describe block, and the
// test pages' protocol: a page posts its outcome on window globals (`window.result`, …).
import path from 'node:path';
import puppeteer, { type Browser } from 'puppeteer';
import { afterAll, beforeAll, expect } from 'vitest';
import { CHROMIUM_ARGS, serveDirectory } from './server';

export interface BrowserSession {
  readonly browser: Browser;
  /** The served repository root, e.g. http://127.0.0.1:PORT. */
  readonly url: string;
}

/** Launches Chromium and serves the repository before the block's tests, and closes both after them. */
export function useBrowser(): BrowserSession {
  const session = {} as { browser: Browser; url: string };
  let server: Awaited<ReturnType<typeof serveDirectory>> | undefined;
  beforeAll(async () => {
    server = await serveDirectory(path.resolve(__dirname, '..', '..'));
    session.url = server.url;
    session.browser = await puppeteer.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
  });
  afterAll(async () => {
    await session.browser?.close();
    await server?.close();
  });
  return session;
}

/**
 * Opens `page` (a path below the repository root), waits for each of `globals` to be set, returns
 * their values in order, and fails if the page threw anything meanwhile.
 */
export async function pageResults<T>(session: BrowserSession, page: string, globals: readonly string[] = ['result']): Promise<T[]> {
  const tab = await session.browser.newPage();
  const errors: string[] = [];
  tab.on('pageerror', (e) => errors.push(String(e)));
  try {
    await tab.goto(`${session.url}/${page}`);
    const results: T[] = [];
    for (const name of globals) {
      await tab.waitForFunction(`window.${name} !== undefined`, { timeout: 60_000 });
      results.push((await tab.evaluate(`window.${name}`)) as T);
    }
    expect(errors).toEqual([]);
    return results;
  } finally {
    await tab.close();
  }
}
