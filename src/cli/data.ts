/** `--data JSON|@file`: a payload on the command line, or read from a file. */
import { readFileSync } from "node:fs";
import * as z from "zod";
import { isForm } from "../providers/sample";
import { usageError } from "./http";

/** The text of `--data`: itself, or the file it names after `@`. */
export function dataText(arg: string): string {
  if (!arg.startsWith("@")) return arg;
  try {
    return readFileSync(arg.slice(1), "utf8");
  } catch (err) {
    throw usageError(
      `--data ${arg}: cannot read the file (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`,
    );
  }
}

/** `--data` as JSON, or a usage error. */
export function jsonData(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw usageError(`--data is not JSON: ${(err as Error).message}`);
  }
}

const Scalar = z.union([z.string(), z.number(), z.boolean()]);
/** A form as JSON: `{"Body":"hi","To":"+1555…"}`, a list for a repeated field. */
const FormFields = z.record(z.string(), z.union([Scalar, z.array(Scalar)]));

/** A payload in the sample's content type: JSON as given (its bytes kept), or a JSON object encoded as a form. */
export function payload(text: string, contentType: string | undefined): string {
  const value = jsonData(text);
  if (!isForm(contentType)) return text;
  const fields = FormFields.safeParse(value);
  if (!fields.success)
    throw usageError("this source takes forms: --data must be a JSON object of strings, numbers or lists of them");
  const form = new URLSearchParams();
  for (const [name, field] of Object.entries(fields.data))
    for (const item of [field].flat()) form.append(name, String(item));
  return form.toString();
}
