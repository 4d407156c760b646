/**
 * `tributary send <source>`: a realistic delivery (or the provider's endpoint check), signed as
 * the provider signs it with the descriptor's own `sign`, sent to the gateway, and its answer.
 */
import { handshakeRequest, type OutgoingRequest, signedDelivery } from "../providers/example-request";
import { type Command, text, type Values } from "./command";
import { dataText, payload } from "./data";
import { CliError, ExitCode, gatewayUrl, send, under, usageError } from "./http";
import { jsonLine, printable } from "./output";
import { readDevVars, type Sendable, sendable } from "./sources";

const HELP = `Usage: tributary send <source> [--event NAME] [--data JSON|@file] [--url URL] [--secret S] [--json]
       tributary send <source> --handshake

Sends a realistic example delivery of the source's provider, signed exactly as the provider
signs (the same code the gateway verifies against), and prints the gateway's answer.
Sources are those of src/config/sources.ts (tributary sources lists them); secrets and keys are
the development ones (.dev.vars, else .dev.vars.example; TRIBUTARY_DEV_VARS names another file).

  --event NAME  the event to build (default: the example's, e.g. payment_intent.succeeded)
  --data JSON   the payload instead of the example (@file reads a file); a JSON object for form sources
  --secret S    sign with S instead of the development secret (a private key for Ed25519/ECDSA providers)
  --handshake   send the provider's endpoint check instead (Meta's hub.challenge, Slack's url_verification…)
  --url URL     the gateway (default: TRIBUTARY_URL, else http://127.0.0.1:8787)
  --json        the answer as one JSON line

Exit codes: 0 accepted (2xx), 1 refused, 2 usage, 3 gateway unreachable.`;

export const sendCommand: Command = {
  name: "send",
  summary: "send a signed example webhook for a source (or its handshake)",
  help: HELP,
  options: {
    event: { type: "string" },
    data: { type: "string" },
    secret: { type: "string" },
    handshake: { type: "boolean" },
    url: { type: "string" },
    json: { type: "boolean" },
  },
  async run(positionals, values, { root, env, io }) {
    const [name, ...extra] = positionals;
    if (!name || extra.length)
      throw usageError("send takes one source", "tributary send <source>; tributary sources lists them");
    const devVars = readDevVars(root, env);
    const source = sendable(name, devVars, text(values, "secret"));
    const target = under(gatewayUrl(text(values, "url"), env), `/ingest/${encodeURIComponent(name)}`);
    const request = await build(source, values, target, devVars.path);
    const response = await send(request.url, {
      method: request.method,
      headers: request.headers,
      ...(request.body !== undefined && { body: request.body }),
    });
    const answer = await response.text();

    if (values.json === true) {
      io.out(
        jsonLine({
          status: response.status,
          method: request.method,
          url: request.url.href,
          answer: jsonOrText(answer),
        }),
      );
    } else {
      const what = values.handshake
        ? (source.provider.handshakeSample?.name ?? "handshake")
        : (text(values, "event") ?? source.provider.sample?.event ?? "");
      io.out(io.colour.dim(`${request.method} ${printable(request.url.href)}${what ? `  ${printable(what)}` : ""}`));
      const status = `${response.status} ${printable(response.statusText)}`;
      io.out(`${response.ok ? io.colour.green(status) : io.colour.red(status)}  ${printable(answer)}`);
    }
    if (response.ok) return ExitCode.OK;
    throw new CliError(
      `refused (${response.status})`,
      ExitCode.REFUSED,
      refusalHint(response.status, source, devVars.path, values, target),
    );
  },
};

async function build(source: Sendable, values: Values, target: URL, devVarsPath: string): Promise<OutgoingRequest> {
  const { provider, auth, credentials } = source;
  const event = text(values, "event");
  const data = text(values, "data");
  const nowSeconds = Math.floor(Date.now() / 1000);
  if (values.handshake && (event !== undefined || data !== undefined))
    throw usageError("--handshake takes no --event or --data");
  if (values.handshake && !provider.handshakeSample) throw usageError(`${provider.title} has no handshake`);
  if (event !== undefined && provider.sample?.event === null)
    throw usageError(`${provider.title} names no events: --event does not apply`);
  try {
    if (values.handshake) return await handshakeRequest(provider, auth, credentials, { target, nowSeconds });
    const body = data === undefined ? undefined : payload(dataText(data), provider.sample?.contentType);
    return await signedDelivery(provider, auth, credentials, {
      target,
      nowSeconds,
      ...(event !== undefined && { event }),
      ...(body !== undefined && { body }),
    });
  } catch (err) {
    // The signers throw TypeErrors for missing or unusable credentials, and bodies they cannot sign.
    if (!(err instanceof TypeError)) throw err;
    const names = Object.values(source.secretNames).join(", ");
    const hint = values.secret !== undefined ? "check --secret" : `set ${names} in ${devVarsPath}, or pass --secret`;
    throw usageError(`cannot sign for ${source.name}: ${err.message}`, hint);
  }
}

function jsonOrText(answer: string): unknown {
  try {
    return JSON.parse(answer);
  } catch {
    return answer;
  }
}

function refusalHint(
  status: number,
  source: Sendable,
  devVarsPath: string,
  values: Values,
  target: URL,
): string | undefined {
  if (status === 404)
    return `no source "${source.name}" at ${target.origin}: check --url, and that the gateway runs this project's configuration`;
  if (status !== 401) return undefined;
  const names = Object.values(source.secretNames).join(", ");
  const used = values.secret !== undefined ? "--secret" : `${names} from ${devVarsPath}`;
  const asymmetric =
    (source.provider.publicKeys ?? []).length > 0
      ? " (for a public key: the private key you sign with must be its pair)"
      : "";
  return `the gateway could not verify it (its log says why: the \`npm run dev\` output). Check that ${used} matches the gateway's ${names}${asymmetric}, and that this machine's clock is right`;
}
