// A test double of the Twilio Voice JS SDK's public API (@twilio/voice-sdk 2.x: Twilio.Device
// and its Call), for browser tests only: the real SDK needs Twilio's signalling servers, which
// a test cannot reach. The test routes the desk's vendor URL to this file; the app never
// serves it. It does only what the SDK documents (events, states, accept/reject/mute/
// disconnect) and records every method the desk calls, so the test can assert that the desk's
// buttons drive the SDK. The test plays Twilio's part through `window.twilioDouble`.
(() => {
  class Emitter {
    constructor() {
      this.handlers = new Map();
    }

    on(name, handler) {
      if (!this.handlers.has(name)) this.handlers.set(name, []);
      this.handlers.get(name).push(handler);
      return this;
    }

    emit(name, ...args) {
      for (const handler of this.handlers.get(name) || []) handler(...args);
    }
  }

  const calls = [];
  const devices = [];
  const log = [];

  // The identity the token grants (the payload of the access token JWT).
  function identityOf(token) {
    const payload = token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
    return JSON.parse(atob(payload)).grants.identity;
  }

  class Call extends Emitter {
    constructor(device, parameters) {
      super();
      this.device = device;
      this.parameters = parameters;
      this.customParameters = new Map();
      this.muted = false;
      this.state = "pending";
    }

    status() {
      return this.state;
    }

    isMuted() {
      return this.muted;
    }

    accept() {
      log.push(["accept", this.parameters.CallSid]);
      if (this.state !== "pending") return;
      this.state = "open";
      this.emit("accept", this);
    }

    reject() {
      log.push(["reject", this.parameters.CallSid]);
      if (this.state !== "pending") return;
      this.state = "closed";
      this.emit("reject");
    }

    mute(shouldMute = true) {
      log.push(["mute", this.parameters.CallSid, shouldMute]);
      const changed = this.muted !== shouldMute;
      this.muted = shouldMute;
      if (changed) this.emit("mute", shouldMute, this);
    }

    disconnect() {
      log.push(["disconnect", this.parameters.CallSid]);
      if (this.state === "closed") return;
      this.state = "closed";
      this.emit("disconnect", this);
    }
  }

  class Device extends Emitter {
    static State = {
      Destroyed: "destroyed",
      Registered: "registered",
      Registering: "registering",
      Unregistered: "unregistered",
    };

    constructor(token, options = {}) {
      super();
      if (typeof token !== "string" || token.split(".").length !== 3) {
        throw new TypeError("Parameter 'token' must be a JWT string");
      }
      this.token = token;
      this.options = options;
      this.identity = identityOf(token);
      this.state = Device.State.Unregistered;
      devices.push(this);
      log.push(["device", this.identity]);
    }

    async register() {
      log.push(["register", this.identity]);
      this.state = Device.State.Registering;
      this.emit("registering");
      await Promise.resolve();
      this.state = Device.State.Registered;
      this.emit("registered");
    }

    updateToken(token) {
      log.push(["updateToken", identityOf(token)]);
      this.token = token;
    }

    destroy() {
      log.push(["destroy", this.identity]);
      this.state = Device.State.Destroyed;
      this.emit("destroyed");
    }
  }

  const current = () => devices.filter((device) => device.state === Device.State.Registered).at(-1);

  window.Twilio = { Device, Call };
  window.twilioDouble = {
    devices,
    calls,
    log,
    // Twilio rings the registered device: our voice server dialled `client:<identity>`.
    ring(parameters) {
      const device = current();
      if (!device) throw new Error("no registered device to ring");
      const call = new Call(device, parameters);
      calls.push(call);
      device.emit("incoming", call);
      return calls.length - 1;
    },
    // The far end left (the caller hung up, or the call was moved away from this browser).
    remoteHangUp(index) {
      const call = calls[index];
      call.state = "closed";
      call.emit("disconnect", call);
    },
    callState(index) {
      const call = calls[index];
      return { status: call.status(), muted: call.isMuted() };
    },
  };
})();
