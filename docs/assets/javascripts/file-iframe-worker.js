// Search on a site opened from a folder on disk (file://). Browsers refuse
// `new Worker(url)` on a file:// page, and the theme runs its search in a
// worker; Material's offline plugin would fetch a polyfill for that from a CDN.
// This is the book's own: on file:// a "worker" runs the worker script in a
// hidden iframe and passes the messages; on a served site nothing changes.
// (The name holds "iframe-worker", which tells the offline plugin a shim is here.)
if (location.protocol === "file:") {
  window.Worker = class {
    constructor(url) {
      this.onmessage = this.onerror = null;
      this.listeners = { message: [], error: [] };
      this.pending = [];
      this.frame = document.createElement("iframe");
      this.frame.hidden = true;
      this.frame.srcdoc = "<!doctype html><title>search worker</title>";
      this.frame.addEventListener("load", () => {
        const scope = this.frame.contentWindow;
        // What the worker script posts arrives at the page as a message event.
        scope.postMessage = (data) => this.emit("message", { data });
        const script = scope.document.createElement("script");
        script.src = new URL(url, location.href).href;
        script.onload = () => {
          this.ready = true;
          for (const data of this.pending.splice(0)) this.deliver(data);
        };
        script.onerror = (event) => this.emit("error", event);
        scope.document.head.append(script);
      });
      document.body.append(this.frame);
    }

    deliver(data) {
      const scope = this.frame.contentWindow;
      scope.dispatchEvent(new scope.MessageEvent("message", { data }));
    }

    postMessage(data) {
      if (this.ready) this.deliver(data);
      else this.pending.push(data);
    }

    emit(type, event) {
      const handler = type === "message" ? this.onmessage : this.onerror;
      if (handler) handler.call(this, event);
      for (const listener of this.listeners[type]) listener.call(this, event);
    }

    addEventListener(type, listener) {
      (this.listeners[type] ||= []).push(listener);
    }

    removeEventListener(type, listener) {
      this.listeners[type] = (this.listeners[type] || []).filter((l) => l !== listener);
    }

    terminate() {
      this.frame.remove();
    }
  };
}
