// Search on a site opened from a folder on disk (file://). Browsers refuse
// `new Worker(url)` on a file:// page, and the theme runs its search in a
// worker; Material's offline plugin would fetch a polyfill for that from a CDN.
// This is the book's own: on file:// a "worker" runs the worker script in a
// hidden iframe and passes the messages; on a served site nothing changes.
// (The name holds "iframe-worker", which tells the offline plugin a shim is here.)
// The theme only posts to its worker and listens for its "message" events.
if (location.protocol === "file:") {
  window.Worker = class {
    constructor(url) {
      this.listeners = { message: [] };
      this.pending = [];
      this.frame = document.createElement("iframe");
      this.frame.hidden = true;
      this.frame.srcdoc = "<!doctype html><title>search worker</title>";
      this.frame.addEventListener("load", () => {
        const scope = this.frame.contentWindow;
        // What the worker script posts arrives at the page as a message event.
        scope.postMessage = (data) => this.listeners.message.forEach((l) => l.call(this, { data }));
        const script = scope.document.createElement("script");
        script.src = new URL(url, location.href).href;
        script.onload = () => {
          this.ready = true;
          for (const data of this.pending.splice(0)) this.deliver(data);
        };
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

    addEventListener(type, listener) {
      (this.listeners[type] ||= []).push(listener);
    }

    removeEventListener(type, listener) {
      this.listeners[type] = (this.listeners[type] || []).filter((l) => l !== listener);
    }
  };
}
