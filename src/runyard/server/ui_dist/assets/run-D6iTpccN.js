import{h as n}from"./index-BfbmktmF.js";async function l(r,e,p,u){return r.append(n("div.page",null,n("h1",null,`${e}/${p} ${u}`))),()=>{}}export{l as runPage};
