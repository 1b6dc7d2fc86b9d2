import { describe, expect, it } from "vitest";

import { pushServiceList } from "./push-services";

describe("pushServiceList", () => {
  const browsers = pushServiceList();

  it("accepts the endpoints browsers hand out", () => {
    for (const endpoint of [
      "https://fcm.googleapis.com/fcm/send/dGVzdA:APA91b",
      "https://fcm.googleapis.com/wp/dGVzdA",
      "https://updates.push.services.mozilla.com/wpush/v2/gAAAAABk",
      "https://wns2-par02p.notify.windows.com/w/?token=BQYAAAB",
      "https://web.push.apple.com/QGuS0Jt5aJ0Sn",
    ]) {
      expect(browsers.accepts(endpoint)).toBe(true);
    }
  });

  it("refuses other hosts, look-alikes, plain http, credentials and what is not a URL", () => {
    for (const endpoint of [
      "https://127.0.0.1:8443/push/1",
      "https://localhost/push",
      "https://169.254.169.254/latest/meta-data/",
      "https://fcm.googleapis.com.attacker.example/fcm/send/x",
      "https://attackerfcm.googleapis.com/fcm/send/x",
      "https://notify.windows.com/w/",
      "https://evil-push.apple.com.example/x",
      "http://fcm.googleapis.com/fcm/send/x",
      "https://user:secret@fcm.googleapis.com/fcm/send/x",
      "not a url",
    ]) {
      expect(browsers.accepts(endpoint)).toBe(false);
    }
  });

  it("takes a configured list, and * for any https host", () => {
    const own = pushServiceList(["Push.Example.com", "[::1]"]);
    expect(own.accepts("https://push.example.com:8443/x")).toBe(true);
    expect(own.accepts("https://[::1]:8443/x")).toBe(true);
    expect(own.accepts("https://fcm.googleapis.com/fcm/send/x")).toBe(false);
    expect(own.describe()).toBe("push.example.com, [::1]");
    const any = pushServiceList(["*"]);
    expect(any.accepts("https://10.0.0.1/x")).toBe(true);
    expect(any.accepts("http://10.0.0.1/x")).toBe(false);
  });
});
