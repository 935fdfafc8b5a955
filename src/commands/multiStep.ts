/**
 * A titled multi-step input (VS Code's quick input with `step`/`totalSteps` and a Back button),
 * used by Run Transactions and Commit Container: "Run Transactions on busybox:latest (2/5)",
 * Back returns to the previous step with its answer kept, Escape cancels the whole flow.
 * Answers are remembered per key (the image) in the extension's global state, so the next run on
 * the same image starts from them.
 */
import * as vscode from 'vscode';
import { stepPosition } from '../core/stepCount';

/** A free-text step. */
export interface InputStep<S> {
  kind: 'input';
  /** Shown under the box. */
  prompt: (s: S) => string;
  placeholder?: string;
  /** The pre-filled value (the remembered or default answer). */
  value: (s: S) => string;
  /** A message saying what to fix, or undefined when the text is acceptable. */
  validate?: (text: string, s: S) => string | undefined;
  /** A warning shown under the box that does not block Enter (e.g. the tag already names an image). */
  warn?: (text: string, s: S) => string | undefined;
  /** Store the accepted text in the state. */
  apply: (text: string, s: S) => void;
  /** Leave the step out (e.g. the pool size for a cold run). */
  skip?: (s: S) => boolean;
}

/** One choice of a pick step. */
export interface Choice<S> extends vscode.QuickPickItem {
  /** Store the choice (may load what later steps need; a failure ends the flow with its message). */
  apply: (s: S) => void | Promise<void>;
  /** Pre-selected (the remembered answer). */
  current?: boolean;
}

/** A pick-one step. */
export interface PickStep<S> {
  kind: 'pick';
  placeholder: (s: S) => string;
  choices: (s: S) => Choice<S>[] | Promise<Choice<S>[]>;
  matchOnDescription?: boolean;
  skip?: (s: S) => boolean;
}

export type Step<S> = InputStep<S> | PickStep<S>;

type Outcome = 'next' | 'back' | 'cancel';

/**
 * Run the steps in order on `state` (changed in place). The title is `title(state)` (it may name
 * what an earlier step chose); each step shows "n/N" ({@link stepPosition}: steps left out
 * before it are not counted; steps after it are, so N never grows).
 * @returns the state after the last step, or undefined when the user cancelled (Escape, focus lost).
 */
export async function runSteps<S>(title: (s: S) => string, steps: Step<S>[], state: S): Promise<S | undefined> {
  let i = 0;
  const history: number[] = [];
  while (i < steps.length) {
    const step = steps[i];
    if (step.skip?.(state)) {
      i++;
      continue;
    }
    const position = { ...stepPosition(steps.map((s) => !!s.skip?.(state)), i), back: history.length > 0 };
    const outcome = step.kind === 'input' ? await inputStep(step, state, title(state), position) : await pickStep(step, state, title(state), position);
    if (outcome === 'cancel') return undefined;
    if (outcome === 'back') {
      i = history.pop() ?? 0;
      continue;
    }
    history.push(i);
    i++;
  }
  return state;
}

interface Position {
  step: number;
  total: number;
  back: boolean;
}

function inputStep<S>(step: InputStep<S>, state: S, title: string, pos: Position): Promise<Outcome> {
  return new Promise((resolve) => {
    const box = vscode.window.createInputBox();
    const done = (o: Outcome) => {
      resolve(o);
      box.dispose();
    };
    let settled = false;
    box.title = title;
    box.step = pos.step;
    box.totalSteps = pos.total;
    box.prompt = step.prompt(state);
    box.placeholder = step.placeholder;
    box.value = step.value(state);
    box.ignoreFocusOut = true;
    box.buttons = pos.back ? [vscode.QuickInputButtons.Back] : [];
    const check = () => {
      const problem = step.validate?.(box.value, state);
      const warning = problem ? undefined : step.warn?.(box.value, state);
      box.validationMessage = problem ?? (warning ? { message: warning, severity: vscode.InputBoxValidationSeverity.Warning } : undefined);
    };
    check();
    box.onDidChangeValue(check);
    box.onDidTriggerButton((b) => {
      if (b === vscode.QuickInputButtons.Back) {
        settled = true;
        done('back');
      }
    });
    box.onDidAccept(() => {
      const problem = step.validate?.(box.value, state);
      if (problem) {
        box.validationMessage = problem;
        return;
      }
      step.apply(box.value, state);
      settled = true;
      done('next');
    });
    box.onDidHide(() => {
      if (!settled) done('cancel');
    });
    box.show();
  });
}

async function pickStep<S>(step: PickStep<S>, state: S, title: string, pos: Position): Promise<Outcome> {
  const choices = await step.choices(state);
  return new Promise((resolve) => {
    const pick = vscode.window.createQuickPick<Choice<S>>();
    let settled = false;
    const done = (o: Outcome) => {
      resolve(o);
      pick.dispose();
    };
    pick.title = title;
    pick.step = pos.step;
    pick.totalSteps = pos.total;
    pick.placeholder = step.placeholder(state);
    pick.matchOnDescription = step.matchOnDescription ?? true;
    pick.ignoreFocusOut = true;
    pick.items = choices;
    const current = choices.find((c) => c.current);
    if (current) pick.activeItems = [current];
    pick.buttons = pos.back ? [vscode.QuickInputButtons.Back] : [];
    pick.onDidTriggerButton((b) => {
      if (b === vscode.QuickInputButtons.Back) {
        settled = true;
        done('back');
      }
    });
    pick.onDidAccept(() => {
      const chosen = pick.selectedItems[0] ?? pick.activeItems[0];
      if (!chosen || settled) return;
      settled = true;
      pick.busy = true;
      Promise.resolve(chosen.apply(state)).then(
        () => done('next'),
        (err: unknown) => {
          void vscode.window.showErrorMessage(err instanceof Error ? err.message : String(err));
          done('cancel');
        },
      );
    });
    pick.onDidHide(() => {
      if (!settled) done('cancel');
    });
    pick.show();
  });
}

/** Most answer sets kept per flow (oldest forgotten first). */
const MAX_REMEMBERED = 50;

/**
 * Remembered answers of one flow, per key (an image reference), in the extension's global state.
 * Values must be JSON-serialisable.
 */
export class RememberedAnswers<T extends object> {
  constructor(
    private readonly memento: vscode.Memento,
    private readonly flow: string,
  ) {}

  private all(): Record<string, T> {
    return this.memento.get<Record<string, T>>(`containerLineage.answers.${this.flow}`, {});
  }

  /** The answers last given for `key`, if any. */
  get(key: string): Partial<T> {
    return this.all()[key] ?? {};
  }

  /** Remember `answers` for `key` (most recent last; at most {@link MAX_REMEMBERED} keys). */
  async set(key: string, answers: T): Promise<void> {
    const all = this.all();
    delete all[key];
    all[key] = answers;
    const keys = Object.keys(all);
    for (const k of keys.slice(0, Math.max(0, keys.length - MAX_REMEMBERED))) delete all[k];
    await this.memento.update(`containerLineage.answers.${this.flow}`, all);
  }
}

/** Validation of a whole number ≥ `min` typed in a step. */
export function wholeNumberAtLeast(min: number): (text: string) => string | undefined {
  return (v) => (/^\d+$/.test(v.trim()) && Number(v) >= min ? undefined : `Enter a whole number ≥ ${min}.`);
}
