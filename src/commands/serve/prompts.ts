/** Prompts of the serve feature. */
import * as vscode from 'vscode';
import type { ServeFeature } from './index';

/** The one TCP port an image exposes (`EXPOSE`), to pre-fill the prompt. */
async function exposedPort(feature: ServeFeature, image: string): Promise<string | undefined> {
  try {
    const info = await feature.services.engine.docker().getImage(image).inspect();
    const ports = Object.keys(info.Config?.ExposedPorts ?? {}).filter((p) => p.endsWith('/tcp'));
    return ports.length === 1 ? ports[0].replace(/\/tcp$/, '') : undefined;
  } catch {
    return undefined;
  }
}

/** Ask for the container port (pre-filled from EXPOSE). */
export async function askContainerPort(feature: ServeFeature, image: string): Promise<number | undefined> {
  const value = await vscode.window.showInputBox({
    prompt: `Port the server in ${image} listens on (inside the container)`,
    value: (await exposedPort(feature, image)) ?? '8080',
    validateInput: (v) => (/^\d+$/.test(v.trim()) && Number(v) >= 1 && Number(v) <= 65535 ? undefined : 'Enter a port from 1 to 65535.'),
  });
  return value === undefined ? undefined : Number(value.trim());
}

