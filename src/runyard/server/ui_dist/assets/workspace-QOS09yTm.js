import{h as n}from"./index-BfbmktmF.js";async function a(e,p){return e.append(n("div.page",null,n("h1",null,p))),()=>{}}export{a as workspacePage};
