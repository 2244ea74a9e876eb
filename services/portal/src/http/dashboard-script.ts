// The dashboard's own script, served as /assets/dashboard.js beside ECharts (/assets/echarts.js),
// both from the portal (CSP script-src 'self'; no CDN, no inline script). The page is complete
// without it: its tables carry every number. With it, the tables' numbers follow statistics'
// stream (the page's `data-stream`, the portal's relay) without a reload, and each chart is drawn
// from its table (`data-chart` names the table), so a chart never shows what the table does not:
// a suppressed cell is a gap in the chart, never a zero; a target (coverage's 25 %) is a line the
// axis always reaches. Texts and formats come from the page.
export const DASHBOARD_SCRIPT = `
(function(){
  "use strict";
  var root=document.getElementById("dashboard");
  if(!root)return;
  var locale=document.documentElement.lang==="kk"?"kk-KZ":"ru-RU";
  var month=root.getAttribute("data-month");
  var charts=[];
  function format(kind,value,currency){
    if(kind==="share")return new Intl.NumberFormat(locale,{style:"percent",maximumFractionDigits:2}).format(value);
    if(kind==="money")return new Intl.NumberFormat(locale,{style:"currency",currency:currency||"RUB",minimumFractionDigits:2}).format(value/100);
    if(kind==="days")return new Intl.NumberFormat(locale,{maximumFractionDigits:1}).format(value/86400);
    return new Intl.NumberFormat(locale).format(value);
  }
  function dimsKey(dims){
    return Object.keys(dims).sort().map(function(k){return k+"="+dims[k]}).join(";");
  }
  function say(text){
    var status=document.getElementById("dashboard-status");
    if(status&&status.textContent!==text)status.textContent=text;
  }
  function show(el,cell){
    var kind=el.getAttribute("data-kind");
    if(cell.suppressed){el.textContent=root.getAttribute("data-suppressed");el.setAttribute("data-value","");}
    else if(cell.value===null){el.textContent="\\u2014";el.setAttribute("data-value","");}
    else{el.textContent=format(kind,cell.value,el.getAttribute("data-currency"));el.setAttribute("data-value",String(cell.value));}
    el.setAttribute("data-suppressed",cell.suppressed?"true":"false");
  }
  function target(el,cell){
    var text=cell.suppressed?root.getAttribute("data-suppressed"):cell.value===null?root.getAttribute("data-target-unknown"):cell.value>=0.25?root.getAttribute("data-target-met"):root.getAttribute("data-target-not-met");
    el.textContent=text;
  }
  function apply(cell){
    if(cell.period!=="month")return false;
    if(cell.start!==month){if(cell.start>month)say(root.getAttribute("data-new-month"));return false;}
    var key=(cell.scope==="region"?"region:"+cell.regionCode:cell.municipalityId)+"|"+cell.measure+"|"+dimsKey(cell.dims);
    var found=false;
    root.querySelectorAll("[data-cell]").forEach(function(el){if(el.getAttribute("data-cell")===key){show(el,cell);found=true;}});
    root.querySelectorAll("[data-target-of]").forEach(function(el){if(el.getAttribute("data-target-of")===key){target(el,cell);found=true;}});
    return found;
  }
  function seriesOf(table){
    var heads=table.querySelectorAll("thead th");
    var columns=[];
    heads.forEach(function(th,i){if(th.hasAttribute("data-series"))columns.push({index:i,name:th.textContent.trim()});});
    var categories=[];
    var rows=[];
    table.querySelectorAll("tbody tr").forEach(function(tr){
      if(tr.hasAttribute("data-total"))return;
      categories.push(tr.querySelector("th").textContent.trim());
      rows.push(tr.children);
    });
    return {categories:categories,series:columns.map(function(c){
      return {name:c.name,data:rows.map(function(cells){
        var td=cells[c.index];
        var raw=td?td.getAttribute("data-value"):"";
        if(raw===null||raw==="")return null;
        var kind=td.getAttribute("data-kind");
        var v=Number(raw);
        return kind==="share"?Math.round(v*10000)/100:kind==="money"?v/100:kind==="days"?Math.round(v/8640)/10:v;
      })};
    })};
  }
  function draw(){
    charts.forEach(function(entry){
      var table=document.getElementById(entry.el.getAttribute("data-chart"));
      if(!table)return;
      var data=seriesOf(table);
      var stack=entry.el.hasAttribute("data-stack");
      var goal=entry.el.getAttribute("data-target");
      var percent=entry.el.hasAttribute("data-percent");
      var narrow=entry.el.clientWidth<500;
      entry.chart.setOption({
        animation:false,
        aria:{enabled:false},
        tooltip:{trigger:"axis",renderMode:"richText"},
        legend:{type:"scroll",bottom:0},
        grid:{left:8,right:16,top:24,bottom:40,containLabel:true},
        xAxis:{type:"category",data:data.categories,axisLabel:{interval:0,rotate:narrow&&data.categories.length>1?30:0,width:narrow?90:160,overflow:"truncate"}},
        yAxis:{type:"value",max:goal?function(extent){return Math.ceil(Math.max(extent.max,Number(goal)*1.2))}:null,axisLabel:{formatter:percent?"{value} %":"{value}"}},
        series:data.series.map(function(s,i){
          var one={type:"bar",name:s.name,data:s.data,barMaxWidth:48};
          if(stack)one.stack="all";
          if(goal&&i===0)one.markLine={silent:true,symbol:"none",data:[{yAxis:Number(goal),name:entry.el.getAttribute("data-target-label")}],label:{formatter:"{b}",position:"insideEndTop"}};
          return one;
        })
      },true);
    });
  }
  function start(){
    if(typeof window.echarts!=="undefined"){
      root.querySelectorAll("[data-chart]").forEach(function(el){
        el.hidden=false;
        el.style.height="320px";
        // A chart drawn for a wider window never widens the page before it is redrawn for this one.
        el.style.overflow="hidden";
        el.style.maxWidth="100%";
        charts.push({el:el,chart:window.echarts.init(el,null,{renderer:"canvas"})});
      });
      draw();
      var redraw=function(){charts.forEach(function(entry){entry.chart.resize();});draw();};
      if(typeof ResizeObserver!=="undefined"&&charts.length>0){var seen=root.clientWidth;new ResizeObserver(function(){if(root.clientWidth!==seen){seen=root.clientWidth;redraw();}}).observe(root);}
      else window.addEventListener("resize",redraw);
    }
    var address=root.getAttribute("data-stream");
    if(!address||typeof EventSource==="undefined")return;
    var status=document.getElementById("dashboard-status");
    if(status)status.hidden=false;
    var source=new EventSource(address);
    function heard(event){
      var cells=JSON.parse(event.data).cells;
      var changed=false;
      cells.forEach(function(cell){if(apply(cell))changed=true;});
      if(changed)draw();
      say(root.getAttribute("data-live-at").replace("{time}",new Date().toLocaleTimeString(locale)));
    }
    source.addEventListener("snapshot",heard);
    source.addEventListener("cells",heard);
    source.addEventListener("error",function(){say(root.getAttribute("data-live-lost"));});
  }
  if(document.readyState==="loading")document.addEventListener("DOMContentLoaded",start);else start();
})();
`;
