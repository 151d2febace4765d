"use strict";
// verteilung app: vanilla JS. User data goes into the page only through textContent.
(function () {
  const seite = document.body.dataset.seite;
  const $ = (id) => document.getElementById(id);
  const de = (v, d) => (v === null || v === undefined) ? "" :
    (typeof v === "number" ? v.toLocaleString("de-DE", {maximumFractionDigits: d === undefined ? 1 : d}) : String(v));
  const vz = (v, d) => (v > 0 ? "+" : "") + de(v, d);
  // ColorBrewer PuOr (colour-blind safe): purple = less load, orange = more
  const SKALA = [[0, "#542788"], [0.2, "#8073ac"], [0.4, "#d8daeb"], [0.5, "#f7f7f7"], [0.6, "#fee0b6"],
    [0.8, "#e08214"], [1, "#b35806"]];
  const CONFIG = {displaylogo: false, displayModeBar: false, responsive: true, topojsonURL: "/static/topojson/"};

  // Errors appear where the user looks: in the box of the section that asked, and that section's
  // charts are emptied, so no stale picture stays under the message.
  function fehler(lines, boxId, leeren) {
    const box = $(boxId || "fehler");
    box.replaceChildren();
    if (!lines || !lines.length) { box.hidden = true; return; }
    const ul = document.createElement("ul");
    // the JSON names the field ("z_flueag: …"); a reader gets the reason, which names the thing in words
    for (const l of lines) { const li = document.createElement("li"); li.textContent = l.replace(/^[a-z][a-z0-9_.]*: /, ""); ul.appendChild(li); }
    box.appendChild(ul); box.hidden = false;
    for (const id of leeren || []) { const el = $(id); if (el && window.Plotly) Plotly.purge(el); if (el) el.replaceChildren(); }
    box.scrollIntoView({block: "nearest"});
  }

  async function holen(url, boxId, leeren) {
    const r = await fetch(url, {credentials: "same-origin"});
    const data = await r.json();
    if (!r.ok) { fehler(data.probleme || ["Fehler " + r.status], boxId, leeren); throw new Error("HTTP " + r.status); }
    fehler([], boxId);
    return data;
  }

  function tabelle(ziel, t, link) {
    const el = typeof ziel === "string" ? $(ziel) : ziel;
    if (!el || !t) return;
    const tab = document.createElement("table");
    const head = tab.createTHead().insertRow();
    t.spalten.forEach((s, j) => {
      const th = document.createElement("th"); th.scope = "col"; th.textContent = s;
      if (t.hilfe && t.hilfe[j]) th.title = t.hilfe[j];
      head.appendChild(th);
    });
    const body = tab.createTBody();
    t.zeilen.forEach((z, i) => {
      const tr = body.insertRow();
      t.schluessel.forEach((k, j) => {
        const td = tr.insertCell();
        const text = t.texte ? t.texte[i][j] : de(z[k]);
        if (typeof z[k] === "number") td.className = "n";
        if (link && k === "gemeinde" && z.ags) {
          const a = document.createElement("a"); a.href = link(z); a.textContent = text; td.appendChild(a);
        } else td.textContent = text;
      });
    });
    el.replaceChildren(tab);
  }

  let geo = null;
  async function geojson() {
    if (!geo) geo = await holen("/api/geo/gemeinden.geojson");
    return geo;
  }

  async function karte(el, k, titel, hover, klick, lim) {
    const g = await geojson();
    lim = lim || Math.max(1e-9, ...k.wert.filter((v) => v !== null).map(Math.abs));
    const trace = {
      type: "choropleth", geojson: g, featureidkey: "properties.ags", locations: k.ags, z: k.wert,
      zmin: -lim, zmax: lim, zmid: 0, colorscale: SKALA,
      text: hover, hovertemplate: "%{text}<extra></extra>", marker: {line: {width: 0.3, color: "#555"}},
      colorbar: {title: {text: "je 1.000 EW"}, thickness: 12},
    };
    const layout = {
      title: {text: titel, font: {size: 14}}, margin: {l: 0, r: 0, t: titel ? 32 : 4, b: 0},
      geo: {fitbounds: "locations", visible: false, projection: {type: "mercator"}},
      uirevision: "karte", separators: ",.",
    };
    await Plotly.react(el, [trace], layout, CONFIG);
    el.dataset.stand = String(Date.now());
    if (klick && !el.dataset.klick) {
      el.dataset.klick = "1";
      el.on("plotly_click", (ev) => { const p = ev.points && ev.points[0]; if (p) klick(p.location); });
    }
  }

  function balken(el, namen, werte, titel, einheit) {
    const farben = werte.map((v) => v > 0 ? "#b35806" : "#542788");
    return Plotly.react(el, [{type: "bar", orientation: "h", y: namen, x: werte, marker: {color: farben},
      hovertemplate: "%{y}: %{x:+,.1f} " + einheit + "<extra></extra>"}],
      {title: {text: titel, font: {size: 13}}, margin: {l: 170, r: 10, t: titel ? 30 : 6, b: 30}, separators: ",.",
       yaxis: {autorange: "reversed", tickfont: {size: 10}, automargin: true}, xaxis: {zeroline: true, title: {text: einheit}},
       height: Math.max(260, 14 * namen.length + 60)}, CONFIG);
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
    for (const n of ["kappung", "anrechnung"]) if (url.has(n)) $(n).value = url.get(n);
    // arrival streams (z_<stream>, from the registry); a saved link's older names (zf, zw) still read
    const stroeme = [...form.querySelectorAll("input[data-strom]")];
    for (const z of stroeme) {
      const v = url.get(z.name) ?? (z.dataset.alt ? url.get(z.dataset.alt) : null);
      if (v !== null) z.value = v;
    }
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
      for (const z of stroeme) q.set(z.name, z.value);
      if (kartenModell) q.set("karte", kartenModell);
      if (extra) q.set("bestand", extra);
      if ($("modell")) q.set("modell", $("modell").value);
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
      try { d = await holen("/api/ansicht/vergleich?" + q.toString(), "fehler_details", ["map", "kreise_periode"]); }
      catch (e) { $("laden").hidden = true; delete document.body.dataset.geladen; return; }
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
        "<br>Erfüllungsquote beider Systeme nach Zuweisung: " + de(k.gesamtquote_nach_zuweisung[i], 1) +
        " %<br>Änderung Zuweisung: " + vz(k.aenderung[i], 0) + " Personen<br>Änderung je 1.000 Einwohner: " + vz(k.wert[i], 1));
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
      const kr = d.tabellen.Kreise;
      if (kr) {
        const top = kr.zeilen.filter((z) => z.aenderung_zuweisung !== 0);
        await balken($("kreise_periode"), top.map((z) => z.kreis), top.map((z) => z.aenderung_zuweisung),
          "", "Personen gegenüber Status quo");
      }
      $("laden").hidden = true;
      document.body.dataset.geladen = String(nr);
    }

    form.addEventListener("change", neu);
    form.addEventListener("input", outputs);
    $("karte").addEventListener("change", () => { kartenModell = $("karte").value; neu(); });
    neu();
  }


  // ------------------------------------------------------------------ Überblick: the long run first
  function ueberblick() {
    const url = new URLSearchParams(location.search);
    const wahl = $("modell");
    if (url.has("modell")) wahl.value = url.get("modell");
    let zeilen = [];
    let laufend = 0;
    async function lang() {
      const nr = ++laufend;
      $("laden_lang").hidden = false;
      let d;
      const leeren = ["karte_lang", "kreise_balken", "saetze", "klein"];
      try { d = await holen("/api/ansicht/ueberblick?modell=" + encodeURIComponent(wahl.value), "fehler", leeren); }
      catch (e) { $("laden_lang").hidden = true; return; }
      if (nr !== laufend) return;
      const m = d.modelle.find((x) => x.id === d.modell) || {};
      $("modell_gewichte").textContent = (m.gewichte ? "Schlüssel: " + m.gewichte + ". " : "") + (m.beschreibung || "");
      const q = new URLSearchParams(location.search); q.set("modell", d.modell);
      history.replaceState(null, "", "/?" + q.toString());
      $("dl_lang_csv").href = "/download/ueberblick.csv?modell=" + encodeURIComponent(d.modell);
      $("dl_lang_xlsx").href = "/download/ueberblick.xlsx?modell=" + encodeURIComponent(d.modell);
      const k = d.karte;
      const lim = Math.max(1e-9, ...d.klein.flatMap((x) => x.wert).map(Math.abs));
      const hover = k.ags.map((a, i) => k.gemeinde[i] + "<br>langfristig " + de(k.last[i], 1) + " je 1.000 Einwohner<br>Änderung: " +
        vz(k.wert[i], 1) + " je 1.000 Einwohner (" + vz(k.personen[i], 0) + " Personen)");
      $("karte_lang_titel").textContent = m.titel + " gegenüber " + d.basis.titel + ", langfristig";
      await karte($("karte_lang"), k, "", hover,
        (ags) => { location.href = "/gemeinde?ags=" + encodeURIComponent(ags) + "&modell=" + encodeURIComponent(d.modell); });
      const kz = d.kreise.zeilen;
      await balken($("kreise_balken"), kz.map((z) => z.kreis), kz.map((z) => z.aenderung_langfristig_je_1000), "", "je 1.000 Einwohner");
      $("geld").hidden = !d.geld;
      if (d.geld) {
        await balken($("geld_balken"), d.geld.kreis, d.geld.wert, "", "€ im Jahr");
        tabelle("t_geld", d.geld.tabelle);
      }
      const ul = $("saetze"); ul.replaceChildren();
      for (const t of d.saetze) { const li = document.createElement("li"); li.textContent = t; ul.appendChild(li); }
      tabelle("t_kreise", d.kreise);
      zeilen = d.gemeinden;
      filtern();
      const klein = $("klein"); klein.replaceChildren();
      for (const x of d.klein) {
        const fig = document.createElement("figure"); fig.className = "abb";
        const div = document.createElement("div"); div.className = "mini"; div.setAttribute("role", "img");
        div.setAttribute("aria-label", "Karte " + x.kurz + ": langfristige Änderung je 1.000 Einwohner");
        const cap = document.createElement("figcaption"); cap.textContent = x.kurz; cap.className = "klein";
        fig.append(div, cap); klein.appendChild(fig);
        await karte(div, {ags: k.ags, wert: x.wert}, "", k.ags.map((a, i) => k.gemeinde[i] + ": " + vz(x.wert[i], 1)), null, lim);
      }
      $("laden_lang").hidden = true;
      document.body.dataset.lang = String(nr);
      weg(d.modell);
    }
    function filtern() {
      const f = $("suche_lang").value.trim().toLowerCase();
      const t = zeilen;
      if (!t.zeilen) return;
      const idx = t.zeilen.map((z, i) => i).filter((i) => !f || t.zeilen[i].gemeinde.toLowerCase().includes(f));
      tabelle("t_gemeinden_lang", {...t, zeilen: idx.map((i) => t.zeilen[i]), texte: idx.map((i) => t.texte[i])});
    }
    async function weg(modell) {
      $("laden_weg").hidden = false;
      let s;
      try { s = await holen("/api/ansicht/simulation?monate=12&monat=12&modelle=status-quo," + encodeURIComponent(modell),
        "fehler_weg", ["kurve_weg"]); }
      catch (e) { $("laden_weg").hidden = true; return; }
      await Plotly.react($("kurve_weg"), s.kurven.vk_last_je_einwohner.map((c) => ({type: "scatter", mode: "lines+markers",
        name: (s.titel[c.modell] || c.modell).split(":")[0], x: c.monat, y: c.wert,
        hovertemplate: "Monat %{x}: %{y:.2f}<extra></extra>"})),
        {margin: {l: 50, r: 10, t: 10, b: 40}, separators: ",.", xaxis: {title: {text: "Monat"}, tickformat: "d"},
         yaxis: {title: {text: "Variationskoeffizient"}}, legend: {orientation: "h", y: -0.3}}, CONFIG);
      $("laden_weg").hidden = true;
    }
    $("suche_lang").addEventListener("input", filtern);
    wahl.addEventListener("change", lang);
    lang();
    vergleich();
  }

  // ------------------------------------------------------------------ Meine Gemeinde
  function gemeinde() {
    const url = new URLSearchParams(location.search);
    const q = $("q");
    let timer = null;
    async function vorschlagen() {
      const text = q.value.trim();
      const liste = $("treffer");
      if (!text) { liste.replaceChildren(); $("treffer_anzahl").textContent = ""; return; }
      const d = await holen("/api/gemeinden?q=" + encodeURIComponent(text));
      liste.replaceChildren();
      for (const t of d.treffer) {
        const li = document.createElement("li"); const a = document.createElement("a");
        const rest = new URLSearchParams(location.search); rest.set("ags", t.ags); rest.delete("verlauf");
        a.href = "/gemeinde?" + rest.toString(); a.textContent = t.gemeinde + " (" + t.kreis + ", AGS " + t.ags + ")";
        li.appendChild(a); liste.appendChild(li);
      }
      $("treffer_anzahl").textContent = d.treffer.length === 0 ? "keine Gemeinde gefunden" :
        (d.treffer.length === 1 ? "1 Treffer" : d.treffer.length + " Treffer") + " (mit Tab erreichbar)";
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
      // the long run first: one sentence per model, a bar per model, the table behind them
      const lt = d.langfristig;
      const ul = $("lang_saetze"); ul.replaceChildren();
      const basis = d.langfristig_basis;
      const li0 = document.createElement("li");
      const col = (k) => lt.schluessel.indexOf(k);
      li0.textContent = "Im Status quo trägt " + d.gemeinde + " langfristig " + de(basis.last_langfristig, 0) +
        " Personen, " + de(basis.last_langfristig_je_1000, 1) + " je 1.000 Einwohner" +
        (basis.mittel_eur !== null && basis.mittel_eur !== undefined ? ", und erhält dafür " + de(basis.mittel_eur, 0) + " € im Jahr." : ".");
      ul.appendChild(li0);
      lt.zeilen.forEach((z, i) => {
        const li = document.createElement("li");
        const p = Math.round(z.aenderung_langfristig);
        const geld = col("aenderung_mittel_eur") >= 0 ? "; Mittel " + lt.texte[i][col("aenderung_mittel_eur")] + " € im Jahr" : "";
        li.textContent = z.modell.split(":")[0] + ": " + (p === 0 ? "keine Änderung der Last" :
          lt.texte[i][col("aenderung_langfristig")] + " Personen (" + lt.texte[i][col("aenderung_langfristig_je_1000")] +
          " je 1.000 Einwohner)") + geld + ".";
        ul.appendChild(li);
      });
      await balken($("lang_balken"), lt.zeilen.map((z) => z.modell.split(":")[0]), lt.zeilen.map((z) => z.aenderung_langfristig_je_1000),
        "", "je 1.000 Einwohner");
      tabelle("t_langfristig", lt);
      tabelle("t_modelle", d.modelle);
      const verlauf = async () => {
        $("verlauf").disabled = true; $("sim_laden").hidden = false;
        url.set("verlauf", "1"); setLinks(url, "gemeinde", "/gemeinde");
        try {
          const sim = await holen("/api/ansicht/gemeinde-simulation?" + url.toString(), "fehler_verlauf", ["kurve_verlauf"]);
          tabelle("t_simulation", sim);
          if (window.Plotly && sim.verlauf && sim.verlauf.length) {
            $("kurve_verlauf").hidden = false;
            await Plotly.react($("kurve_verlauf"), sim.verlauf.map((v) => ({type: "scatter", mode: "lines+markers", name: v.titel.split(":")[0],
              x: v.monat, y: v.wert, hovertemplate: v.titel.split(":")[0] + ", Monat %{x}: %{y:.1f} je 1.000 Einwohner<extra></extra>"})),
              {title: {text: d.gemeinde + ": Gesamtlast je 1.000 Einwohner im simulierten Verlauf", font: {size: 14}},
               margin: {l: 50, r: 10, t: 36, b: 40}, xaxis: {title: {text: "Monat"}, tickformat: "d"},
               yaxis: {title: {text: "je 1.000 Einwohner"}, separatethousands: true}, legend: {orientation: "h", y: -0.3}, separators: ",."},
              CONFIG);
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
        const h = document.createElement("h4"); h.textContent = "Rechenweg " + s.anzeige; wege.appendChild(h);
        const ol = document.createElement("ol"); ol.id = "s_" + s.id; ol.className = "schritte"; wege.appendChild(ol);
        for (const x of d.schritte[s.id]) {
          const li = document.createElement("li"); li.textContent = x.schritt;
          if (x.rechtsgrundlage) { const sp = document.createElement("span"); sp.className = "para"; sp.textContent = x.rechtsgrundlage; li.appendChild(sp); }
          ol.appendChild(li);
        }
      }
      const rest = new URLSearchParams(url); rest.delete("ags"); rest.delete("verlauf");
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
    $("monate").value = url.has("monate") ? url.get("monate") : "12";
    $("monat").max = $("monate").value;
    if (url.has("monat")) $("monat").value = url.get("monat");
    let kartenModell = url.get("karte") || "";
    if (url.has("basis")) $("basis").value = url.get("basis");
    const modelle = () => ["status-quo", ...[...form.querySelectorAll("input[name=modell]:checked")].map((c) => c.value)].join(",");
    function query() {
      const q = new URLSearchParams();
      q.set("modelle", modelle());
      q.set("monate", $("monate").value); q.set("monat", $("monat").value);
      if (kartenModell) q.set("karte", kartenModell);
      if ($("basis").value !== "status-quo") q.set("basis", $("basis").value);
      return q;
    }
    function outputs() {
      $("monat").max = $("monate").value;
      if (Number($("monat").value) > Number($("monate").value)) $("monat").value = $("monate").value;
      $("o_monate").textContent = $("monate").value; $("o_monat").textContent = $("monat").value;
      $("monate").setAttribute("aria-valuetext", $("monate").value + " Monate");
      $("monat").setAttribute("aria-valuetext", "Monat " + $("monat").value);
    }
    // the month slider offers only what the ticked models allow (the app's limit of model-months)
    let grenzNr = 0;
    async function grenze() {
      const nr = ++grenzNr;
      const g = await holen("/api/ansicht/grenzen?modelle=" + encodeURIComponent(modelle()), "fehler_sim");
      if (nr !== grenzNr) return;  // an answer to an older selection
      const m = $("monate");
      m.max = String(g.max_monate);
      if (Number(m.value) > g.max_monate) m.value = String(g.max_monate);
      $("grenze").textContent = "höchstens " + g.max_monate + " Monate mit dieser Modellauswahl";
    }
    let laufend = 0;
    async function neu() {
      try { await grenze(); } catch (e) { return; }
      outputs();
      const nr = ++laufend;
      $("laden").hidden = false;
      let d;
      try { d = await holen("/api/ansicht/simulation?" + query().toString(), "fehler_sim", ["kurve_vk", "kurve_konflikt", "map", "t_Monate", "kurve_geld", "kurve_geld_kum", "t_Geld"]); }
      catch (e) { $("laden").hidden = true; delete document.body.dataset.geladen; return; }
      if (nr !== laufend) return;
      kartenModell = d.karte_modell;
      setLinks(query(), "simulation", "/simulation");
      $("synth").hidden = !d.synthetisch;
      const sel = $("karte"); sel.replaceChildren();
      for (const m of d.info.modelle) {
        if (m === d.basis) continue;
        const o = document.createElement("option"); o.value = m; o.textContent = d.titel[m] || m; if (m === kartenModell) o.selected = true; sel.appendChild(o);
      }
      const plot = (el, serie, titel, y, nk) => Plotly.react(el, serie.map((s) => ({type: "scatter", mode: "lines", name: (d.titel[s.modell] || s.modell).split(":")[0], x: s.monat, y: s.wert,
        hovertemplate: "Monat %{x}: %{y:,." + nk + "f}<extra></extra>"})),
        {title: {text: titel, font: {size: 14}}, margin: {l: 50, r: 10, t: 36, b: 40}, xaxis: {title: {text: "Monat"}, tickformat: "d"}, yaxis: {title: {text: y}, separatethousands: true}, legend: {orientation: "h", y: -0.3}, separators: ",."},
        CONFIG);
      await plot($("kurve_vk"), d.kurven.vk_last_je_einwohner, "Streuung der Last je Einwohner (Variationskoeffizient)", "0 = überall gleich", 2);
      await plot($("kurve_konflikt"), d.kurven.konflikt_personen_kumuliert, "Konflikte zwischen den Systemen, zusammengezählt", "Personen", 0);
      const k = d.karte;
      const kurz = (m) => (d.titel[m] || m).split(":")[0];
      const hover = k.ags.map((a, i) => k.gemeinde[i] + "<br>Last je 1.000 Einwohner: " + de(k.last[i], 1) + "<br>gegenüber " + kurz(d.basis) + ": " + vz(k.wert[i], 1));
      await karte($("map"), k, kurz(d.karte_modell) + " im Monat " + d.monat + " gegenüber " + kurz(d.basis), hover,
        (ags) => { location.href = "/gemeinde?ags=" + encodeURIComponent(ags); });
      tabelle("t_Monate", d.tabellen.Monate);
      await geldKurven(d.geld, kurz);
      $("laden").hidden = true;
      document.body.dataset.geladen = String(nr);
    }
    // money along the months: the map's model and the Vergleichsbasis; extrapolated rules marked NÄHERUNG
    async function geldKurven(g, kurz) {
      const n = g.naeherung_ab;
      const hinweis = $("geld_naeherung");
      hinweis.hidden = !n;
      hinweis.textContent = n ? "NÄHERUNG ab Monat " + n + ": der Monat liegt nach dem Jahr der Mittel; dessen Sätze und Töpfe sind fortgeschrieben." : "";
      const schatten = n ? [{type: "rect", xref: "x", yref: "paper", x0: n - 0.5, x1: g.modell.monat.length + 0.5, y0: 0, y1: 1,
        fillcolor: "#eeeeee", line: {width: 0}, layer: "below"}] : [];
      const notiz = n ? [{xref: "x", yref: "paper", x: n - 0.5, y: 1, xanchor: "left", yanchor: "bottom", showarrow: false, text: "NÄHERUNG", font: {size: 10}}] : [];
      const layout = (titel, y) => ({title: {text: titel, font: {size: 14}}, margin: {l: 80, r: 10, t: 36, b: 40}, separators: ",.",
        xaxis: {title: {text: "Monat"}, tickformat: "d"}, yaxis: {title: {text: y}, separatethousands: true, tickformat: ",.0f"},
        legend: {orientation: "h", y: -0.3}, shapes: schatten, annotations: notiz});
      const linie = (s, werte, farbe, strich) => ({type: "scatter", mode: "lines+markers", name: kurz(s.modell), x: s.monat, y: werte,
        line: {color: farbe, dash: strich}, hovertemplate: kurz(s.modell) + ", Monat %{x}: %{y:,.0f} €<extra></extra>"});
      await Plotly.react($("kurve_geld"), [linie(g.modell, g.modell.eur, "#b35806", "solid"), linie(g.basis, g.basis.eur, "#542788", "dot")],
        layout("Mittel je Monat", "Euro"), CONFIG);
      await Plotly.react($("kurve_geld_kum"), [linie(g.modell, g.modell.aenderung_kumuliert, "#b35806", "solid")],
        layout(kurz(g.modell.modell) + " gegenüber " + kurz(g.basis.modell) + ", seit Beginn", "Euro"), CONFIG);
      tabelle("t_Geld", g.tabelle);
    }
    form.addEventListener("change", neu);
    form.addEventListener("input", outputs);
    $("karte").addEventListener("change", () => { kartenModell = $("karte").value; neu(); });
    neu();
  }

  if (seite === "vergleich") ueberblick();
  else if (seite === "gemeinde") gemeinde();
  else if (seite === "simulation") simulation();
})();
