// The boards the simulator can be: every file of drivers/boards/ but the build seam
// (current.ts), found by name, so a new board file is a new `--board` with nothing else to edit.
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Board } from '../../drivers/board.ts';

const dir = new URL('../../drivers/boards/', import.meta.url);

/** The ids `--board` takes: 'esp32', 'esp32c3', 'esp32s3'. */
export function boardIds(): string[] {
  return readdirSync(fileURLToPath(dir)).filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts') && f !== 'current.ts')
    .map((f) => f.slice(0, -3)).sort();
}

/** The board named `id`; a clear error naming the boards there are when there is none. */
export async function loadBoard(id: string): Promise<Board> {
  const ids = boardIds();
  if (!ids.includes(id)) throw new Error(`no board "${id}": choose one of ${ids.join(', ')}`);
  const { board } = await import(new URL(`${id}.ts`, dir).href) as { board: Board };
  if (board?.id !== id) throw new Error(`drivers/boards/${id}.ts exports no board with id "${id}"`);
  return board;
}
