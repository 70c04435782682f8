import { basicCredentials, findPassword } from "../access/basic-credentials.ts";
import { crypt } from "../access/crypt.ts";
import type { UserFile } from "../config/model.ts";
import type { RequestContext } from "../shape/request-context.ts";
import { renderTemplate } from "../shape/template.ts";
import { type AccessCheck, ALLOWED, DECLINED, type Verdict } from "./verdict.ts";

/**
 * `auth_basic` (`ngx_http_auth_basic_handler()`): the client's Basic credentials against the
 * user file, read on each request as nginx reads it. No credentials, an unknown user or a
 * wrong password answer 401 with `WWW-Authenticate: Basic realm="..."`; a missing file 403,
 * another file error 500.
 */
export const authBasic: AccessCheck = (plan, r) => {
  const settings = (r.location ?? r.server).settings;
  const realmTemplate = settings.authBasic;
  const userFile = settings.authBasicUserFile;
  if (realmTemplate === null || userFile === null) return DECLINED;
  const realm = renderTemplate(realmTemplate, r);
  if (realm === "off") return DECLINED;
  const credentials = basicCredentials(r.head);
  if (credentials === null) {
    r.log.info("no user/password was provided for basic authentication");
    return askFor(realm);
  }
  const path = filePath(userFile, r);
  const files = plan.caps.userFiles;
  const read = files ? files.read(path) : { missing: true, error: `open() "${path}" failed (2: No such file or directory)` };
  if ("error" in read) {
    if (read.missing) r.log.error(read.error);
    else r.log.crit(read.error);
    return { kind: "refused", status: read.missing ? 403 : 500 };
  }
  const stored = findPassword(read.text, credentials.user);
  if (stored === null) {
    r.log.error(`user "${credentials.user}" was not found in "${path}"`);
    return askFor(realm);
  }
  const encrypted = crypt(credentials.password, stored);
  if (encrypted === null) r.log.error(`user "${credentials.user}": the password's scheme is not supported by edgeproxy`);
  else if (encrypted === stored) return ALLOWED;
  else r.log.error(`user "${credentials.user}": password mismatch`);
  return askFor(realm);
};

/** The 401 that asks for credentials (`ngx_http_auth_basic_set_realm()`). */
function askFor(realm: string): Verdict {
  return { kind: "refused", status: 401, headers: [["WWW-Authenticate", `Basic realm="${realm}"`]] };
}

/** The user file's path for this request: a relative one from the config's directory. */
function filePath(userFile: UserFile, r: RequestContext): string {
  const name = renderTemplate(userFile.file, r);
  return name.startsWith("/") ? name : userFile.prefix + name;
}
