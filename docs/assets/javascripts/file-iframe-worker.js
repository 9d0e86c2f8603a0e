/*
 * Search on a site opened from a folder on disk (file://).
 *
 * Browsers refuse `new Worker(url)` for file:// pages, and the theme runs its
 * search in a worker. Material's offline plugin would load a polyfill for this
 * from a CDN; this file is the book's own replacement, so that no page loads
 * anything from another host. On file:// it replaces `Worker` with an object
 * that runs the worker script in a hidden iframe and passes messages to and
 * from it; on a served site it does nothing. (Its name contains
 * "iframe-worker", which tells the offline plugin that a shim is present.)
 */
(function () {
  "use strict";
  if (window.location.protocol !== "file:") {
    return;
  }

  function FrameWorker(url) {
    var self = this;
    this.onmessage = null;
    this.onerror = null;
    this.listeners = { message: [], error: [] };
    this.pending = [];
    this.ready = false;

    var frame = document.createElement("iframe");
    frame.setAttribute("aria-hidden", "true");
    frame.setAttribute("tabindex", "-1");
    frame.style.display = "none";
    frame.srcdoc = "<!doctype html><title>search worker</title>";
    frame.addEventListener("load", function () {
      var scope = frame.contentWindow;
      // What the worker script posts arrives at the page as a message event.
      scope.postMessage = function (data) {
        self.emit("message", { data: data });
      };
      var script = scope.document.createElement("script");
      script.src = new URL(url, window.location.href).href;
      script.onload = function () {
        self.ready = true;
        self.pending.splice(0).forEach(function (data) {
          self.deliver(data);
        });
      };
      script.onerror = function (event) {
        self.emit("error", event);
      };
      scope.document.head.appendChild(script);
    });
    (document.body || document.documentElement).appendChild(frame);
    this.frame = frame;
  }

  FrameWorker.prototype.deliver = function (data) {
    var scope = this.frame.contentWindow;
    scope.dispatchEvent(new scope.MessageEvent("message", { data: data }));
  };

  FrameWorker.prototype.postMessage = function (data) {
    if (this.ready) {
      this.deliver(data);
    } else {
      this.pending.push(data);
    }
  };

  FrameWorker.prototype.emit = function (type, event) {
    var handler = type === "message" ? this.onmessage : this.onerror;
    if (handler) {
      handler.call(this, event);
    }
    (this.listeners[type] || []).forEach(function (listener) {
      listener.call(this, event);
    }, this);
  };

  FrameWorker.prototype.addEventListener = function (type, listener) {
    (this.listeners[type] = this.listeners[type] || []).push(listener);
  };

  FrameWorker.prototype.removeEventListener = function (type, listener) {
    this.listeners[type] = (this.listeners[type] || []).filter(function (l) {
      return l !== listener;
    });
  };

  FrameWorker.prototype.terminate = function () {
    this.frame.remove();
  };

  window.Worker = FrameWorker;
})();
