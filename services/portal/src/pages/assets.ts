// The page's only style sheet and script, served by the portal itself (no CDN: families on slow
// networks load two small files once, then from cache).

export const STYLES = `
:root{--ink:#1d1d1b;--muted:#4a4a48;--paper:#fff;--line:#b1b4b6;--brand:#0b5394;--brand-ink:#fff;--error:#b00020;--ok:#00703c;--focus:#ffbf47;--soft:#f3f2f1;font-size:100%}
html.contrast{--ink:#000;--muted:#000;--paper:#fff;--line:#000;--brand:#000;--brand-ink:#ff0;--error:#900;--ok:#040;font-size:137.5%}
*{box-sizing:border-box}
body{margin:0;font-family:system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif;line-height:1.5;color:var(--ink);background:var(--paper)}
a{color:var(--brand);text-underline-offset:.15em}
html.contrast a{color:#000;font-weight:700}
a:focus,button:focus,input:focus,select:focus,textarea:focus,summary:focus{outline:3px solid var(--focus);outline-offset:0;box-shadow:0 0 0 6px var(--ink)}
.skip{position:absolute;left:-999px;top:0;background:var(--focus);color:#000;padding:.5rem 1rem;z-index:10}
.skip:focus{left:0}
.top{background:var(--brand);color:var(--brand-ink)}
.top a,.top .link,html.contrast .top a{color:var(--brand-ink)}
.bar{display:flex;flex-wrap:wrap;gap:.5rem 1rem;justify-content:space-between;align-items:center;padding:.75rem 1rem;max-width:60rem;margin:0 auto}
.brand{font-size:1.5rem;font-weight:700;text-decoration:none}
.tagline{display:block;font-size:.8rem;font-weight:400}
.settings{display:flex;gap:1rem;flex-wrap:wrap;font-size:.95rem}
.menu{border-top:1px solid rgba(255,255,255,.4)}
.menu ul{list-style:none;display:flex;flex-wrap:wrap;gap:.25rem 1.25rem;margin:0 auto;padding:.5rem 1rem;max-width:60rem;align-items:center}
.menu .who{font-size:.9rem}
main{display:block;max-width:60rem;margin:0 auto;padding:1rem}
.bottom{border-top:1px solid var(--line);color:var(--muted);padding:1rem;max-width:60rem;margin:2rem auto 0;font-size:.9rem}
h1{font-size:1.75rem;line-height:1.2;margin:.5rem 0 1rem}
h2{font-size:1.35rem;margin:1.5rem 0 .5rem}
h3{font-size:1.1rem;margin:1rem 0 .25rem}
.field{margin:0 0 1rem}
.field label,fieldset legend{display:block;font-weight:700;margin-bottom:.25rem}
.hint{color:var(--muted);margin:0 0 .25rem;font-size:.95rem}
input,select,textarea{font:inherit;width:100%;max-width:30rem;padding:.5rem;border:2px solid var(--ink);border-radius:0;background:var(--paper);color:var(--ink);min-height:2.75rem}
input[type=checkbox],input[type=radio]{width:1.5rem;height:1.5rem;min-height:0;vertical-align:middle;margin-right:.5rem}
.check{display:flex;align-items:center;margin:0 0 1rem}
.check label{font-weight:400}
fieldset{border:0;padding:0;margin:0 0 1rem}
.has-error{border-left:5px solid var(--error);padding-left:.75rem}
.error{color:var(--error);font-weight:700;margin:0 0 .25rem}
.error-summary{border:5px solid var(--error);padding:1rem;margin:0 0 1.5rem}
.error-summary h2{margin-top:0}
.error-summary a{color:var(--error);font-weight:700}
.notice{border-left:5px solid var(--ok);padding:.5rem 1rem;margin:0 0 1rem;background:var(--soft)}
button,.button{font:inherit;display:inline-block;background:var(--ok);color:#fff;border:0;padding:.6rem 1.1rem;min-height:2.75rem;cursor:pointer;text-decoration:none;font-weight:700;box-shadow:0 2px 0 #002d18}
html.contrast button,html.contrast .button{background:#000;color:#ff0}
button.secondary{background:var(--soft);color:var(--ink);box-shadow:0 2px 0 var(--line)}
button.warning{background:var(--error)}
button.link{background:none;box-shadow:none;padding:0;min-height:0;font-weight:400;text-decoration:underline;color:inherit}
.filters{background:var(--soft);padding:1rem;margin:0 0 1rem}
.filters details{margin:0 0 1rem}
.filters summary{cursor:pointer;font-weight:700;margin:0 0 .75rem;color:var(--brand)}
.filters .row{display:grid;gap:0 1rem;grid-template-columns:1fr}
@media (min-width:40rem){.filters .row{grid-template-columns:1fr 1fr}}
.cards{list-style:none;padding:0;margin:0}
.card{border-top:1px solid var(--line);padding:1rem 0}
.columns{display:grid;grid-template-columns:1fr;gap:0 1.5rem}
@media (min-width:40rem){.columns{grid-template-columns:1fr 1fr}}
.pair{border-top:2px solid var(--line);padding:1rem 0}
.card h3{margin:0 0 .25rem}
.meta{color:var(--muted);margin:.25rem 0;font-size:.95rem}
.badge{display:inline-block;border:2px solid var(--ok);color:var(--ok);padding:0 .4rem;font-weight:700;font-size:.9rem}
.badge.expired{border-color:var(--error);color:var(--error)}
.tag{display:inline-block;background:var(--soft);padding:0 .4rem;font-size:.9rem;margin-right:.25rem}
table{border-collapse:collapse;width:100%;margin:0 0 1rem}
th,td{text-align:left;border-bottom:1px solid var(--line);padding:.4rem .5rem .4rem 0;vertical-align:top}
.summary{display:grid;grid-template-columns:1fr;gap:.25rem 1rem;margin:0 0 1rem}
.summary dt{font-weight:700}
.summary dd{margin:0 0 .5rem}
code{overflow-wrap:anywhere;word-break:break-all}
.summary dd{min-width:0}
@media (min-width:40rem){.summary{grid-template-columns:12rem 1fr}.summary dd{margin:0}}
.actions{display:flex;flex-wrap:wrap;gap:.75rem;align-items:center;margin:.5rem 0}
.actions form{margin:0}
.live{font-size:.85rem;color:var(--muted)}
.visually-hidden{position:absolute!important;width:1px;height:1px;margin:0;padding:0;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap;border:0}
.lessons{list-style:none;padding:0}
.lessons li{border-top:1px solid var(--line)}
.lessons a{display:block;padding:.75rem 0}
.scroll{overflow-x:auto;max-width:100%}
fieldset.mark{border-top:1px solid var(--line);padding-top:.5rem}
fieldset.mark .check{display:inline-flex;margin-right:1.5rem}
`;

/**
 * The one script: parts of a page marked `data-live="URL"` are redrawn from that URL (an HTML
 * fragment) every `data-every` seconds, without reloading, or as a `data-stream="URL"` of
 * Server-Sent Events pushes them (each `position` event's data is the fragment; `left` reloads
 * the page); notes marked `data-live-note` saying so are shown. A page works without it.
 */
export const SCRIPT = `
(function(){
  function refresh(el){
    fetch(el.getAttribute("data-live"),{headers:{"x-fragment":"1"},credentials:"same-origin"})
      .then(function(r){return r.ok?r.text():null})
      .then(function(text){if(text!==null&&text!==el.innerHTML){el.innerHTML=text}})
      .catch(function(){});
  }
  function stream(el){
    var source=new EventSource(el.getAttribute("data-stream"));
    source.addEventListener("position",function(e){if(e.data!==el.innerHTML)el.innerHTML=e.data});
    source.addEventListener("left",function(){source.close();location.reload()});
  }
  function start(){
    document.querySelectorAll("[data-live-note]").forEach(function(el){el.hidden=false});
    document.querySelectorAll("[data-live]").forEach(function(el){
      if(el.getAttribute("data-stream")&&window.EventSource){stream(el);return}
      var every=Number(el.getAttribute("data-every")||"15")*1000;
      setInterval(function(){if(!document.hidden)refresh(el)},every);
    });
  }
  if(document.readyState==="loading")document.addEventListener("DOMContentLoaded",start);else start();
})();
`;
