"use strict";
// verteilung app: vanilla JS. User data goes into the page only through textContent.
(function () {
  const seite = document.body.dataset.seite;
  const $ = (id) => document.getElementById(id);
  const de = (v, d) => (v === null || v === undefined) ? "" :
    (typeof v === "number" ? v.toLocaleString("de-DE", {maximumFractionDigits: d === undefined ? 2 : d}) : String(v));

  function fehler(lines) {
    const box = $("fehler");
    box.replaceChildren();
    if (!lines || !lines.length) { box.hidden = true; return; }
    const ul = document.createElement("ul");
    for (const l of lines) { const li = document.createElement("li"); li.textContent = l; ul.appendChild(li); }
    box.appendChild(ul); box.hidden = false;
  }

  async function holen(url) {
    const r = await fetch(url, {credentials: "same-origin"});
    const data = await r.json();
    if (!r.ok) { fehler(data.probleme || ["Fehler " + r.status]); throw new Error("HTTP " + r.status); }
    fehler([]);
    return data;
  }

  function tabelle(ziel, t, link) {
    const el = typeof ziel === "string" ? $(ziel) : ziel;
    if (!el || !t) return;
    const tab = document.createElement("table");
    const head = tab.createTHead().insertRow();
    for (const s of t.spalten) { const th = document.createElement("th"); th.textContent = s; head.appendChild(th); }
    const body = tab.createTBody();
    for (const z of t.zeilen) {
      const tr = body.insertRow();
      for (const k of t.schluessel) {
        const td = tr.insertCell();
        const v = z[k];
        if (typeof v === "number") td.className = "n";
        if (link && k === "gemeinde" && z.ags) {
          const a = document.createElement("a"); a.href = link(z); a.textContent = de(v); td.appendChild(a);
        } else td.textContent = de(v, 3);
      }
    }
    el.replaceChildren(tab);
  }

  let geo = null;
  async function geojson() {
    if (!geo) geo = await holen("/api/geo/gemeinden.geojson");
    return geo;
  }

  async function karte(el, k, titel, hover, klick) {
    const g = await geojson();
    const lim = Math.max(1e-9, ...k.wert.filter((v) => v !== null).map(Math.abs));
    const trace = {
      type: "choropleth", geojson: g, featureidkey: "properties.ags", locations: k.ags, z: k.wert,
      zmin: -lim, zmax: lim, zmid: 0, colorscale: "RdBu",
      text: hover, hovertemplate: "%{text}<extra></extra>", marker: {line: {width: 0.3, color: "#555"}},
      colorbar: {title: {text: "je 1.000 EW"}, thickness: 12},
    };
    const layout = {
      title: {text: titel, font: {size: 14}}, margin: {l: 0, r: 0, t: 32, b: 0},
      geo: {fitbounds: "locations", visible: false, projection: {type: "mercator"}},
      uirevision: "karte", separators: ",.",
    };
    await Plotly.react(el, [trace], layout, {displaylogo: false, responsive: true, topojsonURL: "/static/topojson/"});
    el.dataset.stand = String(Date.now());
    if (klick && !el.dataset.klick) {
      el.dataset.klick = "1";
      el.on("plotly_click", (ev) => { const p = ev.points && ev.points[0]; if (p) klick(p.location); });
    }
  }

  function setLinks(query, ansicht, seitenpfad) {
    const qs = query.toString();
    const perma = seitenpfad + (qs ? "?" + qs : "");
    $("permalink").href = perma;
    $("dl_csv").href = "/download/" + ansicht + ".csv" + (qs ? "?" + qs : "");
    $("dl_xlsx").href = "/download/" + ansicht + ".xlsx" + (qs ? "?" + qs : "");
    history.replaceState(null, "", perma);
  }

  // ------------------------------------------------------------------ Modelle vergleichen
  function vergleich() {
    const form = $("steuerung");
    const url = new URLSearchParams(location.search);
    const spalten = ["einwohner", "flaeche", "arbeitslose"];
    // restore the permalink's settings
    if (url.has("modelle")) {
      const want = url.get("modelle").split(",");
      form.querySelectorAll("input[name=modell]").forEach((c) => { c.checked = want.includes(c.value); });
    }
    if (url.get("eigene") === "0") $("eigene").checked = false;
    for (const s of spalten) if (url.has("w_" + s)) $("w_" + s).value = url.get("w_" + s);
    for (const n of ["kappung", "anrechnung", "zf", "zw"]) if (url.has(n)) $(n).value = url.get(n);
    if (url.has("alpha") && url.get("alpha") !== "auto") { $("alpha_auto").checked = false; $("alpha").value = url.get("alpha"); }
    let kartenModell = url.get("karte") || "";
    const extra = url.get("bestand");

    function query() {
      const q = new URLSearchParams();
      q.set("modelle", [...form.querySelectorAll("input[name=modell]:checked")].map((c) => c.value).join(","));
      const eigene = $("eigene").checked;
      q.set("eigene", eigene ? "1" : "0");
      if (eigene) {
        for (const s of spalten) q.set("w_" + s, $("w_" + s).value);
        if (Number($("kappung").value) >= 1) q.set("kappung", $("kappung").value);
      }
      q.set("alpha", $("alpha_auto").checked ? "auto" : $("alpha").value);
      q.set("anrechnung", $("anrechnung").value);
      q.set("zf", $("zf").value); q.set("zw", $("zw").value);
      if (kartenModell) q.set("karte", kartenModell);
      if (extra) q.set("bestand", extra);
      return q;
    }

    function outputs() {
      const sum = spalten.reduce((a, s) => a + Number($("w_" + s).value), 0) || 1;
      for (const s of spalten) $("o_" + s).textContent = de(100 * Number($("w_" + s).value) / sum, 1) + " %";
      const k = Number($("kappung").value);
      $("o_kappung").textContent = k >= 1 ? de(k, 2) : "keine";
      $("alpha").disabled = $("alpha_auto").checked;
      $("o_alpha").textContent = $("alpha_auto").checked ? "automatisch" : de(Number($("alpha").value), 2);
      $("o_anrechnung").textContent = de(Number($("anrechnung").value), 2);
      $("gewichte").disabled = !$("eigene").checked;
    }

    let laufend = 0;
    async function neu() {
      outputs();
      const q = query();
      const nr = ++laufend;
      $("laden").hidden = false;
      let d;
      try { d = await holen("/api/ansicht/vergleich?" + q.toString()); } catch (e) { $("laden").hidden = true; return; }
      if (nr !== laufend) return;
      kartenModell = d.karte_modell;
      setLinks(query(), "vergleich", "/");
      $("synth").hidden = !d.info.synthetisch;
      const sel = $("karte");
      sel.replaceChildren();
      for (const m of d.modelle) {
        if (m.id === "status-quo") continue;
        const o = document.createElement("option"); o.value = m.id; o.textContent = m.titel || m.id;
        if (m.id === d.karte_modell) o.selected = true; sel.appendChild(o);
      }
      const k = d.karte;
      const hover = k.ags.map((a, i) => k.gemeinde[i] + "<br>Gesamtsoll beider Systeme nach Zuweisung: " + de(k.gesamtsoll_nach_zuweisung[i], 2) +
        "<br>Erfüllungsquote beider Systeme nach Zuweisung: " + de(k.gesamtquote_nach_zuweisung[i], 2) +
        " %<br>Änderung Zuweisungen: " + (k.aenderung[i] > 0 ? "+" : "") + de(k.aenderung[i], 0) +
        "<br>Änderung je 1.000 EW: " + de(k.wert[i], 2));
      const titel = (d.modelle.find((m) => m.id === d.karte_modell) || {}).titel || d.karte_modell;
      await karte($("map"), k, titel + ": gegenüber Status quo", hover,
        (ags) => { location.href = "/gemeinde?ags=" + encodeURIComponent(ags) + "&" + query().toString(); });
      const bes = $("beschreibung"); bes.replaceChildren();
      const m = d.modelle.find((x) => x.id === d.karte_modell) || {};
      for (const [lab, txt] of [["", m.titel], ["", m.beschreibung], ["Rechtsgrundlage: ", m.rechtsgrundlage], ["Begründung: ", m.begruendung]]) {
        if (!txt) continue; const p = document.createElement("p"); p.textContent = lab + txt; bes.appendChild(p);
      }
      const ul = $("befunde"); ul.replaceChildren();
      for (const b of d.befunde) { const li = document.createElement("li"); li.textContent = b; ul.appendChild(li); }
      const gl = (z) => "/gemeinde?ags=" + encodeURIComponent(z.ags) + "&" + query().toString();
      for (const [name, t] of Object.entries(d.tabellen)) tabelle($("t_" + name), t, gl);
      $("laden").hidden = true;
      document.body.dataset.geladen = String(nr);
    }

    form.addEventListener("change", neu);
    form.addEventListener("input", outputs);
    $("karte").addEventListener("change", () => { kartenModell = $("karte").value; neu(); });
    neu();
  }

  // ------------------------------------------------------------------ Meine Gemeinde
  function gemeinde() {
    const url = new URLSearchParams(location.search);
    const q = $("q");
    let timer = null;
    async function vorschlagen() {
      const text = q.value.trim();
      const liste = $("treffer");
      if (!text) { liste.replaceChildren(); return; }
      const d = await holen("/api/gemeinden?q=" + encodeURIComponent(text));
      liste.replaceChildren();
      const dl = $("vorschlaege"); dl.replaceChildren();
      for (const t of d.treffer) {
        const li = document.createElement("li"); const a = document.createElement("a");
        const rest = new URLSearchParams(location.search); rest.set("ags", t.ags);
        a.href = "/gemeinde?" + rest.toString(); a.textContent = t.gemeinde + " (" + t.kreis + ", AGS " + t.ags + ")";
        li.appendChild(a); liste.appendChild(li);
        const o = document.createElement("option"); o.value = t.gemeinde; dl.appendChild(o);
      }
    }
    q.addEventListener("input", () => { clearTimeout(timer); timer = setTimeout(vorschlagen, 150); });
    $("suche").addEventListener("submit", async (ev) => {
      ev.preventDefault(); await vorschlagen();
      const first = $("treffer").querySelector("a"); if (first) location.href = first.href;
    });
    if (!url.has("ags")) return;
    (async () => {
      const d = await holen("/api/ansicht/gemeinde?" + url.toString());
      $("profil").hidden = false;
      $("name").textContent = d.gemeinde + " (AGS " + d.ags + ")";
      $("kopf").textContent = d.gemeinde_typ + ", " + d.kreis + ", Regierungsbezirk " + d.regierungsbezirk + "; " +
        de(d.einwohner, 0) + " Einwohner, " + de(d.flaeche_km2, 2) + " km²; " +
        d.systeme.map((s) => "Bestand " + s.anzeige + " " + de(d.bestand[s.id], 0)).join(", ") +
        ", Plätze in Landeseinrichtungen " + de(d.bestand.anrechnung_plaetze, 0) +
        (d.bestand.synthetisch ? " (Bestände SYNTHETISCH)" : " (Bestände: " + d.bestand.datei + ")");
      tabelle("t_modelle", d.modelle);
      const verlauf = async () => {
        $("verlauf").disabled = true; $("sim_laden").hidden = false;
        url.set("verlauf", "1"); setLinks(url, "gemeinde", "/gemeinde");
        try {
          const sim = await holen("/api/ansicht/gemeinde-simulation?" + url.toString());
          tabelle("t_simulation", sim);
          if (window.Plotly && sim.verlauf && sim.verlauf.length) {
            $("kurve_verlauf").hidden = false;
            await Plotly.react($("kurve_verlauf"), sim.verlauf.map((v) => ({type: "scatter", mode: "lines+markers", name: v.titel.split(":")[0],
              x: v.monat, y: v.wert, hovertemplate: v.titel.split(":")[0] + ", Monat %{x}: %{y:.2f} je 1.000 EW<extra></extra>"})),
              {title: {text: d.gemeinde + ": Gesamtlast je 1.000 Einwohner im simulierten Verlauf", font: {size: 14}},
               margin: {l: 50, r: 10, t: 36, b: 40}, xaxis: {title: {text: "Monat"}, tickformat: "d"},
               yaxis: {title: {text: "je 1.000 EW"}, separatethousands: true}, legend: {font: {size: 10}}, separators: ",."},
              {displaylogo: false, responsive: true});
            document.body.dataset.verlauf = "1";
          }
        }
        catch (e) { $("verlauf").disabled = false; }
        $("sim_laden").hidden = true;
      };
      $("verlauf").addEventListener("click", verlauf);
      if (url.get("verlauf") === "1") verlauf();
      const wege = $("rechenwege"); wege.replaceChildren();
      for (const s of d.systeme) {
        const h = document.createElement("h3"); h.textContent = "Rechenweg " + s.anzeige; wege.appendChild(h);
        const ol = document.createElement("ol"); ol.id = "s_" + s.id; ol.className = "schritte"; wege.appendChild(ol);
        for (const x of d.schritte[s.id]) {
          const li = document.createElement("li"); li.textContent = x.schritt;
          if (x.rechtsgrundlage) { const sp = document.createElement("span"); sp.className = "para"; sp.textContent = x.rechtsgrundlage; li.appendChild(sp); }
          ol.appendChild(li);
        }
      }
      const rest = new URLSearchParams(url); rest.delete("ags");
      $("zurueck").href = "/?" + rest.toString();
      setLinks(url, "gemeinde", "/gemeinde");
      document.title = d.gemeinde + " – verteilung";
      document.body.dataset.geladen = "1";
    })().catch(() => {});
  }

  // ------------------------------------------------------------------ Simulation
  function simulation() {
    const form = $("steuerung");
    const url = new URLSearchParams(location.search);
    if (url.has("modelle")) {
      const want = url.get("modelle").split(",");
      form.querySelectorAll("input[name=modell]").forEach((c) => { c.checked = want.includes(c.value); });
    }
    if (url.has("monate")) $("monate").value = url.get("monate");
    else $("monate").value = "12";
    $("monat").max = $("monate").value;
    if (url.has("monat")) $("monat").value = url.get("monat");
    let kartenModell = url.get("karte") || "";
    function query() {
      const q = new URLSearchParams();
      q.set("modelle", ["status-quo", ...[...form.querySelectorAll("input[name=modell]:checked")].map((c) => c.value)].join(","));
      q.set("monate", $("monate").value); q.set("monat", $("monat").value);
      if (kartenModell) q.set("karte", kartenModell);
      return q;
    }
    function outputs() {
      $("monat").max = $("monate").value;
      $("o_monate").textContent = $("monate").value; $("o_monat").textContent = $("monat").value;
    }
    let laufend = 0;
    async function neu() {
      outputs();
      const nr = ++laufend;
      $("laden").hidden = false;
      let d;
      try { d = await holen("/api/ansicht/simulation?" + query().toString()); } catch (e) { $("laden").hidden = true; return; }
      if (nr !== laufend) return;
      kartenModell = d.karte_modell;
      setLinks(query(), "simulation", "/simulation");
      $("synth").hidden = !d.synthetisch;
      const sel = $("karte"); sel.replaceChildren();
      for (const m of d.info.modelle) {
        if (m === "status-quo") continue;
        const o = document.createElement("option"); o.value = m; o.textContent = d.titel[m] || m; if (m === kartenModell) o.selected = true; sel.appendChild(o);
      }
      const plot = (el, serie, titel, y) => Plotly.react(el, serie.map((s) => ({type: "scatter", mode: "lines", name: (d.titel[s.modell] || s.modell).split(":")[0], x: s.monat, y: s.wert})),
        {title: {text: titel, font: {size: 14}}, margin: {l: 50, r: 10, t: 36, b: 40}, xaxis: {title: {text: "Monat"}, tickformat: "d"}, yaxis: {title: {text: y}, separatethousands: true}, legend: {font: {size: 10}}, separators: ",."},
        {displaylogo: false, responsive: true});
      await plot($("kurve_vk"), d.kurven.vk_last_je_einwohner, "Streuung der Last je Einwohner (VK)", "VK");
      await plot($("kurve_konflikt"), d.kurven.konflikt_personen_kumuliert, "Konflikte zwischen den Systemen, kumuliert", "Personen");
      const k = d.karte;
      const hover = k.ags.map((a, i) => k.gemeinde[i] + "<br>Last je 1.000 EW: " + de(k.last[i], 1) + "<br>gegenüber Status quo: " + de(k.wert[i], 2));
      await karte($("map"), k, (d.titel[d.karte_modell] || d.karte_modell) + " im Monat " + d.monat + " gegenüber Status quo", hover,
        (ags) => { location.href = "/gemeinde?ags=" + encodeURIComponent(ags); });
      tabelle("t_Monate", d.tabellen.Monate);
      $("laden").hidden = true;
      document.body.dataset.geladen = String(nr);
    }
    form.addEventListener("change", neu);
    form.addEventListener("input", outputs);
    $("karte").addEventListener("change", () => { kartenModell = $("karte").value; neu(); });
    neu();
  }

  if (seite === "vergleich") vergleich();
  else if (seite === "gemeinde") gemeinde();
  else if (seite === "simulation") simulation();
})();
