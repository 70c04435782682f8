import { describe, expect, test } from "vitest";
import { formatAddress, parseAddress, parseAddressPort } from "../../../core/access/address.ts";
import { decodeBase64 } from "../../../core/access/base64.ts";
import { crypt } from "../../../core/access/crypt.ts";

// Drepper's SHA-crypt specification's vectors, and hashes openssl passwd wrote.
describe("crypt", () => {
  test.each([
    ["Hello world!", "$5$saltstring$5B8vYYiY.CVt1RlTTf8KbXBH3hsxY/GNooZaBBGWEc5"],
    ["Hello world!", "$5$rounds=10000$saltstringsaltst$3xv.VbSHBb41AL9AvLeujZkZRBAwqFMz2.opqey6IcA"],
    ["the minimum number is still observed", "$5$rounds=1000$roundstoolow$yfvwcWrQ8l/K0DAWyuPMDNHpIVlTQebY9l/gL972bIC"],
    ["Hello world!", "$6$saltstring$svn8UoSVapNtMuq1ukKS4tPQd8iKwSMHWjl/O817G3uBnIFNjnQJuesI68u4OTLiBFdcbYEdFCoEOfaS35inz1"],
    [
      "Hello world!",
      "$6$rounds=10000$saltstringsaltst$OW1/O6BYHV6BcXZu8QVeXbDWra3Oeqh0sbHbbMCVNSnCM/UrjmM0Dp8vOuZeHBy/YTBmSK6H9qs/y3RnOaw5v.",
    ],
    ["password", "$1$saltsalt$qjXMvbEw8oaL.CzflDtaK/"],
    ["password", "$apr1$saltsalt$yAAkm4libquA.ZWLHbSBq/"],
    ["password", "{SHA}W6ph5Mm5Pz8GgiULbPgzG37mj9g="],
    ["password", "{PLAIN}password"],
  ])("%s gives %s", (password, stored) => {
    expect(crypt(password, stored)).toBe(stored);
  });

  test("a scheme edgeproxy lacks is null: yescrypt, DES", () => {
    expect(crypt("x", "$y$j9T$abc$def")).toBeNull();
    expect(crypt("x", "abJnggxhB/yWI")).toBeNull();
  });
});

describe("addresses as nginx reads and writes them", () => {
  test.each([
    ["1.2.3.4", "1.2.3.4"],
    ["010.001.2.3", "10.1.2.3"],
    ["::1", "::1"],
    ["2001:DB8:0:0:1:0:0:1", "2001:db8::1:0:0:1"],
    ["0:0:0:0:0:ffff:c000:205", "::ffff:192.0.2.5"],
    ["::c000:205", "::192.0.2.5"],
    ["1::", "1::"],
    ["1:0:1:0:0:1:0:0", "1:0:1::1:0:0"],
  ])("%s is %s", (text, printed) => {
    const address = parseAddress(text);
    expect(address && formatAddress(address)).toBe(printed);
  });

  test("ports as ngx_parse_addr_port reads them", () => {
    expect(parseAddressPort("1.2.3.4:80")?.port).toBe(80);
    expect(parseAddressPort("[::1]:443")?.port).toBe(443);
    expect(parseAddressPort("[::1]")).toBeNull();
    expect(parseAddressPort("1.2.3.4:0")).toBeNull();
    expect(parseAddressPort("1.2.3.4:65536")).toBeNull();
  });

  test("base64 read up to its first =, refusing what nginx refuses", () => {
    expect(decodeBase64("YWJj")).toBe("abc");
    expect(decodeBase64("YWI=garbage")).toBe("ab");
    expect(decodeBase64("YWJjZ")).toBeNull();
    expect(decodeBase64("YW J")).toBeNull();
  });
});
