// Merchant display: live payments from the mock acquirer over Server-Sent Events.
// Everything that comes from a payment is put on the page with textContent, never as HTML.
"use strict";

(function () {
  const RECENT = 10;
  const BANNER_MS = 8000;
  const params = new URLSearchParams(window.location.search);
  const merchant = (params.get("merchant") || "").trim().slice(0, 100);
  // `synced`: a snapshot has arrived since the page was loaded (the next one may bring missed approvals).
  const state = { recent: [], apart: [], total: 0, count: 0, lastId: 0, seen: new Set(), refused: 0, synced: false };
  let source = null;
  let reopenTimer = null;
  let audioContext = null;
  let bannerTimer = null;

  const $ = (id) => document.getElementById(id);
  const body = document.body;

  function text(id, value) {
    $(id).textContent = value == null || value === "" ? "—" : String(value);
  }

  function timeOf(at) {
    const when = new Date(at);
    if (Number.isNaN(when.getTime())) return "";
    return when.toLocaleTimeString("vi-VN", { hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false });
  }

  function group(n) {
    return String(Math.max(0, Math.trunc(Number(n) || 0))).replace(/\B(?=(\d{3})+(?!\d))/g, ".");
  }

  const KIND_LABELS = { declined: "Bị từ chối (không đủ số dư)", duplicate: "Yêu cầu trùng lặp (đã xử lý trước đó)" };

  function row(event, withKind) {
    const item = $("row-template").content.firstElementChild.cloneNode(true);
    item.dataset.kind = event.kind;
    item.dataset.eventId = String(event.id);
    item.querySelector(".row-amount").textContent = (event.amount_text || group(event.amount)) + " ₫";
    item.querySelector(".row-payee").textContent = event.payee || "";
    item.querySelector(".row-payee").title = event.payee || "";
    item.querySelector(".row-customer").textContent = event.customer_code || "";
    item.querySelector(".row-time").textContent = timeOf(event.at);
    item.querySelector(".row-kind").textContent = withKind ? (KIND_LABELS[event.kind] || "") : "";
    return item;
  }

  function renderList(id, emptyId, events, withKind) {
    const list = $(id);
    list.replaceChildren(...events.map((e) => row(e, withKind)));
    $(emptyId).hidden = events.length > 0;
  }

  function renderLatest(event) {
    const card = $("latest");
    if (!event) {
      card.dataset.empty = "true";
      text("latest-amount", "—");
      $("latest-words").textContent = "Chưa có giao dịch hôm nay";
      ["latest-payee", "latest-customer", "latest-time", "latest-reference"].forEach((id) => text(id, ""));
      $("latest-breakdown").hidden = true;
      delete card.dataset.eventId;
      return;
    }
    card.dataset.empty = "false";
    card.dataset.eventId = String(event.id);
    text("latest-amount", event.amount_text || group(event.amount));
    // the total announced above; with a fee or tip, what it is made of: 100.000 ₫ + phí 50.000 ₫
    $("latest-breakdown").textContent = event.breakdown || "";
    $("latest-breakdown").hidden = !event.breakdown;
    text("latest-words", event.words);
    text("latest-payee", event.payee);
    text("latest-customer", event.customer_code);
    text("latest-time", timeOf(event.at));
    text("latest-reference", event.reference);
  }

  function render() {
    renderLatest(state.recent[0]);
    renderList("recent-list", "recent-empty", state.recent, false);
    renderList("apart-list", "apart-empty", state.apart, true);
    text("total-amount", group(state.total));
    text("total-count", state.count);
    $("refused-line").hidden = merchant !== "";
    text("refused-count", state.refused);
  }

  // --- sound ------------------------------------------------------------------------------------
  function chime() {
    try {
      const Context = window.AudioContext || window.webkitAudioContext;
      if (!Context) return false;
      audioContext = audioContext || new Context();
      if (audioContext.state === "suspended") audioContext.resume();
      const start = audioContext.currentTime + 0.02;
      [[880, 0], [1318.5, 0.18]].forEach(([frequency, offset]) => {
        const osc = audioContext.createOscillator();
        const gain = audioContext.createGain();
        osc.type = "sine";
        osc.frequency.value = frequency;
        gain.gain.setValueAtTime(0.0001, start + offset);
        gain.gain.exponentialRampToValueAtTime(0.4, start + offset + 0.02);
        gain.gain.exponentialRampToValueAtTime(0.0001, start + offset + 0.6);
        osc.connect(gain).connect(audioContext.destination);
        osc.start(start + offset);
        osc.stop(start + offset + 0.65);
      });
      body.dataset.chimes = String(Number(body.dataset.chimes || 0) + 1);
      return audioContext.state === "running";
    } catch (err) {
      return false;
    }
  }

  function banner(message) {
    $("banner-text").textContent = message;
    $("banner").hidden = false;
    clearTimeout(bannerTimer);
    bannerTimer = setTimeout(() => { $("banner").hidden = true; }, BANNER_MS);
  }

  // Approvals close together are spoken one after another, as a sound box does (at most 3 waiting).
  const waiting = [];

  function speakNext() {
    const next = waiting.shift();
    if (next) announce(next);
  }

  function announce(event) {
    const voice = $("voice");
    if (body.dataset.sound === "muted") {  // the merchant turned the sound off: words only
      body.dataset.lastSound = "muted";
      banner(event.spoken);
      return;
    }
    if (event.audio && voice.getAttribute("src") && !voice.paused && !voice.ended) {
      if (waiting.length >= 3) waiting.shift();
      waiting.push(event);
      return;
    }
    if (event.audio) {
      voice.dataset.eventId = String(event.id);
      voice.src = event.audio;
      body.dataset.lastSound = "voice";
      const played = voice.play();
      if (played && played.catch) {
        played.then(() => setSound("on")).catch(() => {
          // Autoplay refused (no tap yet) or the WAV failed: chime and say it in words.
          body.dataset.lastSound = "chime";
          chime();
          banner(event.spoken);
        });
      }
    } else {
      body.dataset.lastSound = "chime";
      if (chime()) setSound("on");
      banner(event.spoken);
    }
  }

  // --- events -----------------------------------------------------------------------------------
  function onSnapshot(message) {
    const data = JSON.parse(message.data);
    const before = state.synced ? state.lastId : Infinity;  // the first snapshot after loading is not news
    state.recent = (data.recent || []).slice(0, RECENT);
    state.apart = (data.apart || []).slice(0, RECENT);
    state.total = Number(data.total) || 0;
    state.count = Number(data.count) || 0;
    state.refused = Number(data.refused) || 0;
    state.lastId = Number(data.last_id) || 0;
    state.seen = new Set([...state.recent, ...state.apart].map((e) => e.id));
    body.dataset.speech = data.speech ? "voice" : "chime";
    if (merchant) $("merchant-name").textContent = "Người nhận: " + String(data.merchant || "");  // escaped by the acquirer
    render();
    state.synced = true;
    // Reconnected after missing an approval (the acquirer restarted, the network dropped): say the
    // newest. Snapshot events carry the same audio URL and sentence as live ones.
    const missed = state.recent.filter((e) => e.id > before);
    if (missed.length) announce(missed[0]);
  }

  function onPayment(message) {
    const event = JSON.parse(message.data);
    if (state.seen.has(event.id)) return;
    state.seen.add(event.id);
    state.lastId = Math.max(state.lastId, Number(event.id) || 0);
    if (event.kind === "approved") {
      state.recent = [event, ...state.recent].slice(0, RECENT);
      state.total += Number(event.amount) || 0;
      state.count += 1;
      render();
      const card = $("latest");
      card.classList.remove("flash");
      void card.offsetWidth;
      card.classList.add("flash");
      announce(event);
    } else {
      state.apart = [event, ...state.apart].slice(0, RECENT);
      render();
    }
  }

  function onRefused(message) {
    const data = JSON.parse(message.data);
    state.refused = Number(data.refused) || state.refused + 1;
    render();
  }

  function setConnection(kind, label) {
    body.dataset.connection = kind;
    $("status").textContent = label;
  }

  function connect() {
    clearTimeout(reopenTimer);
    if (source) source.close();
    const url = "/display/events" + (merchant ? "?merchant=" + encodeURIComponent(merchant) : "");
    source = new EventSource(url);
    source.addEventListener("snapshot", (m) => { setConnection("live", "Đang trực tuyến"); onSnapshot(m); });
    source.addEventListener("payment", onPayment);
    source.addEventListener("refused", onRefused);
    source.addEventListener("error", () => {
      setConnection("lost", "Mất kết nối, đang thử lại…");
      // EventSource retries by itself, except after an HTTP error answer (it then closes): retry here.
      if (source.readyState === EventSource.CLOSED) reopenTimer = setTimeout(connect, 2000);
    });
  }

  const MUTED_KEY = "payer-app-display-muted";

  function showSoundButton() {
    $("sound-button").textContent = body.dataset.sound === "on" ? "🔇 Tắt âm thanh" : "🔈 Bật âm thanh";
  }

  function setSound(value) {
    body.dataset.sound = value;
    showSoundButton();
  }

  function toggleSound() {
    // A tap both unlocks audio in the browser and says whether the merchant wants to hear payments.
    const voice = $("voice");
    if (body.dataset.sound === "on") {
      voice.pause();
      waiting.length = 0;
      setSound("muted");
      try { localStorage.setItem(MUTED_KEY, "1"); } catch (err) { /* private mode */ }
    } else {
      try { localStorage.removeItem(MUTED_KEY); } catch (err) { /* private mode */ }
      setSound("on");
      chime();
    }
  }

  function toggleFullscreen() {
    if (document.fullscreenElement) {
      document.exitFullscreen();
    } else if (document.documentElement.requestFullscreen) {
      document.documentElement.requestFullscreen().catch(() => {});
    }
  }

  document.addEventListener("DOMContentLoaded", () => {
    $("merchant-name").textContent = merchant ? "Người nhận: …" : "Tất cả người nhận · All payees";
    $("voice").addEventListener("ended", speakNext);
    $("voice").addEventListener("error", speakNext);
    $("sound-button").addEventListener("click", toggleSound);
    try { if (localStorage.getItem(MUTED_KEY)) setSound("muted"); } catch (err) { /* private mode */ }
    $("fullscreen-button").addEventListener("click", toggleFullscreen);
    document.addEventListener("fullscreenchange", () => body.classList.toggle("fullscreen", !!document.fullscreenElement));
    render();
    connect();
    // A new day starts a new running total: fetch a fresh snapshot after midnight.
    let day = new Date().toDateString();
    setInterval(() => {
      const today = new Date().toDateString();
      if (today !== day) { day = today; connect(); }
    }, 60000);
  });
})();
