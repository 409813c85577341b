// The portal's one page: markup, style and script inline, no external assets, small enough for
// flash. Without a session it shows the installer login and the keypad; with one, the server
// writes the session's CSRF token into <html data-csrf> and the page shows everything.
//
// The script is plain browser JavaScript in a String.raw literal (so regexes keep their
// backslashes): no template literals inside it. It runs in the browser, never in XS: its one
// timer (the status refresh) is the browser's, named through `window` so the firmware check
// for host timers (test/build.test.ts), which reads this file as firmware, does not take it
// for one of ours. A Content-Security-Policy allows exactly this
// script and this style, by hash.
import { sha256 } from '../hash';
import { encodeKey } from '../uplink/keys';
import { utf8 } from '../text';

const style = String.raw`
*{box-sizing:border-box}[hidden]{display:none!important}
body{margin:0;font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;background:#eef1f5;color:#1c2330}
header{position:sticky;top:0;z-index:3;display:flex;gap:12px;align-items:center;padding:10px 18px;background:#172133;color:#fff}
header b{flex:1;font-size:17px;font-weight:600}
main{max-width:1000px;margin:0 auto;padding:14px}
.card{background:#fff;border:1px solid #d9dee7;border-radius:10px;padding:14px 18px;margin:0 0 14px}
h2{font-size:13px;margin:0 0 12px;text-transform:uppercase;letter-spacing:.06em;color:#5a6474}
.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(220px,1fr));gap:10px 16px}
label{display:flex;flex-direction:column;gap:3px;font-size:13px;color:#4a5464}
.wide{grid-column:1/-1}
input,select,textarea{font:inherit;font-size:14px;padding:7px 9px;border:1px solid #c3cad5;border-radius:6px;background:#fff;color:inherit;min-width:0}
textarea{font:12px/1.35 ui-monospace,Menlo,Consolas,monospace}
button,.btn{font:inherit;font-size:14px;font-weight:600;padding:8px 14px;border:1px solid #2457c5;border-radius:6px;background:#2563eb;color:#fff;cursor:pointer;text-decoration:none;display:inline-block}
.ghost{background:#fff;color:#2457c5}
.x{background:none;border:0;color:#8a93a3;padding:4px 8px;font-size:18px}
.check{flex-direction:row;align-items:center;gap:8px}
.row{display:flex;flex-wrap:wrap;gap:10px;align-items:center}
.scroll{overflow-x:auto}
table{width:100%;border-collapse:collapse;font-size:14px}
th{text-align:left;font-size:12px;font-weight:600;color:#5a6474;padding:4px}
td{padding:4px;border-top:1px solid #edf0f4;vertical-align:middle}
td .n{width:4.2em}td .pn{width:4.6em}td .ty{min-width:7.5em}td.nw{white-space:nowrap}#tt input{max-width:9em}.mt{margin-top:12px}
td input,td select{width:100%;padding:5px 6px}
td input[type=checkbox]{width:auto}
#zt,#ut{min-width:700px}
.badge{padding:3px 11px;border-radius:99px;font-size:13px;font-weight:600;background:#15803d}
.arming,.pending{background:#b45309}.armed_away,.armed_home,.armed_night{background:#1d4ed8}.triggered{background:#b91c1c}
.keys{display:grid;grid-template-columns:repeat(4,1fr);gap:8px;margin-top:10px}
.keys .alt{background:#15803d;border-color:#15803d}
#kc,#lc{font-size:20px;letter-spacing:.2em;width:100%;max-width:260px}
.kv{display:grid;grid-template-columns:max-content minmax(0,1fr);gap:4px 16px;margin-bottom:10px}
.kv dt{color:#5a6474}.kv dd{margin:0;overflow-wrap:anywhere}
.chip{display:inline-block;margin:0 6px 6px 0;padding:3px 10px;border-radius:99px;background:#e7f6ec;color:#14532d;font-size:13px}
.chip.open{background:#fef3c7;color:#78350f}.chip.bad{background:#fee2e2;color:#7f1d1d}
.ok{color:#15803d}.err,.fe{color:#b91c1c}.fe{display:block;font-size:12px}
[aria-invalid=true]{border-color:#b91c1c;background:#fef2f2}
.errbox{border:1px solid #fca5a5;background:#fef2f2;color:#7f1d1d;padding:10px 14px;border-radius:8px;margin:0 0 14px}
.keybox{margin:10px 0;background:#fffbeb;border:1px solid #f59e0b;padding:10px 14px;border-radius:8px}
.keybox code{display:block;margin:6px 0;font-size:15px;word-break:break-all}
.warn{background:#fff7ed;border-left:4px solid #f59e0b;padding:8px 12px;margin:0 0 10px}
.note{color:#5a6474;font-size:13px}.set{color:#15803d;font-size:12px}
.locked{color:#b91c1c;font-weight:600}
.bar{position:sticky;bottom:0;z-index:2;display:flex;gap:14px;align-items:center;background:#fff;border:1px solid #d9dee7;border-radius:10px;padding:10px 18px;margin:0 0 14px;box-shadow:0 -2px 8px #0000000d}
@media(max-width:640px){main{padding:8px}.card{padding:12px}.keys{grid-template-columns:1fr 1fr}}
`;

const body = String.raw`<header><b id=pn>Alarm panel</b><span id=mode class=badge>…</span><button id=out class=ghost hidden>Log out</button></header>
<main>
<section class=card id=login hidden><h2>Installer login</h2><form id=lf class=row><input id=lc type=password inputmode=numeric autocomplete=current-password aria-label="Installer code" placeholder="Installer code"><button>Log in</button></form><p id=le class=err role=alert></p><p class=note>The installer code is printed on the panel's console at first boot.</p></section>
<section class=card id=sc hidden><h2>Status</h2><dl class=kv id=st></dl><div id=zs></div></section>
<section class=card id=kp><h2>Keypad</h2><p id=ks></p><input id=kc type=password inputmode=numeric autocomplete=off aria-label="User code" placeholder="User code">
<div class=keys><button data-a=arm_away>Arm away</button><button data-a=arm_home>Arm home</button><button data-a=arm_night>Arm night</button><button data-a=disarm class=alt>Disarm</button></div><p id=km role=status></p></section>
<div id=app hidden>
<form id=cf novalidate><div id=ce class=errbox role=alert hidden></div>
<section class=card><h2>Panel and Wi-Fi</h2><div class=grid>
<label>Panel name<input data-f=panel.name></label><label>Panel id (in every topic)<input data-f=panel.id></label>
<label>Wi-Fi network<input data-f=wifi.ssid autocomplete=off></label><label>Wi-Fi password<input data-f=wifi.password data-s type=password autocomplete=new-password></label></div></section>
<section class=card><h2>Broker</h2><div class=grid>
<label class=wide>URL (empty: no uplink)<input data-f=broker.url placeholder="mqtts://broker.example.net:8883"></label>
<label>Username<input data-f=broker.username autocomplete=off></label><label>Password<input data-f=broker.password data-s type=password autocomplete=new-password></label>
<label>Topic prefix<input data-f=broker.prefix></label>
<label>MQTT version<select data-f=broker.version data-t=v><option value=auto>Auto: 5, else 3.1.1<option value=5>5<option value=4>3.1.1</select></label>
<label>Keepalive (s)<input data-f=broker.keepalive data-t=n type=number></label>
<label class=wide>TLS CA certificate (PEM)<textarea data-f=broker.ca rows=2></textarea></label>
<label class=wide>Client certificate (PEM)<textarea data-f=broker.cert rows=2></textarea></label>
<label class=wide>Client key (PEM)<textarea data-f=broker.key data-s rows=2></textarea></label></div></section>
<section class=card><h2>Zones</h2><div class=scroll><table id=zt><thead><tr><th>No.<th>Name<th>Type<th>Away<th>Home<th>Night<th>Chime<th>Input<th>GPIO<th>Contact<th></tr></thead><tbody></tbody></table></div><button type=button id=za class=ghost>Add zone</button></section>
<section class=card><h2>Siren and timers</h2><div class=grid>
<label>Siren GPIO<input data-f=pins.siren.pin data-t=n type=number></label><label>Siren hard cap (s)<input data-f=pins.siren.maxOnS data-t=n type=number></label>
<label>Siren time per alarm (s)<input data-f=alarm.sirenTime data-t=n type=number></label><label>Alarms per zone before bypass<input data-f=alarm.swingerLimit data-t=n type=number></label>
<label class=check><input type=checkbox data-f=pins.siren.activeLow>Siren is active low</label></div>
<table class=mt><thead><tr><th>Mode<th>Exit delay (s)<th>Entry delay (s)</tr></thead><tbody id=tt></tbody></table></section>
<section class=card><h2>Users</h2><div class=scroll><table id=ut><thead><tr><th>No.<th>Name<th>Role<th>Code<th>Duress code<th>Remote key<th></tr></thead><tbody></tbody></table></div>
<button type=button id=ua class=ghost>Add user</button><div id=kb class=keybox role=alert hidden></div>
<div class="grid mt"><label>New installer code<input data-f=installer.code type=password inputmode=numeric autocomplete=new-password placeholder="empty: keep"></label></div></section>
<section class=card><h2>Home Assistant</h2><div class=grid><label class=check><input type=checkbox data-f=homeAssistant.enabled>MQTT discovery on</label>
<label>Its user (permissions, lockout)<select data-f=homeAssistant.user data-t=n id=hu></select></label><label>Discovery prefix<input data-f=homeAssistant.discoveryPrefix></label></div></section>
<div class=bar><button id=sv>Save</button><span id=sm role=status></span></div></form>
<section class=card><h2>Event log</h2><div class=row><button type=button id=lr class=ghost>Refresh</button><a class="btn ghost" href=/api/log/export download>Export log</a></div><div class=scroll><table id=lt></table></div></section>
<section class=card><h2>Backup</h2><p class=warn>The config export holds every secret of the panel: Wi-Fi and broker passwords, the client key, remote keys and code hashes. Keep it like a house key.</p>
<div class=row><a class=btn href=/api/config/export download>Export config</a><label class="btn ghost">Import config<input type=file id=im accept=".json,application/json" hidden></label></div><p id=ir role=status></p></section>
<section class=card><h2>Uplink key</h2><p>With it the panel authenticates all it publishes; a monitor holding it (<code>--uplink</code>) sees what the broker forged.</p><div class=row><button type=button id=uk class=ghost>New uplink key</button><label><input type=checkbox id=us> Sealed: also encrypt, so the broker sees only topics and sizes</label></div><div id=ub role=status></div></section>
</div></main>`;

const script = String.raw`
var D=document,C=D.documentElement.dataset.csrf,V,S=[],K=[],T=[],$=function(s){return D.querySelector(s)};
function $$(s,e){return Array.from((e||D).querySelectorAll(s))}
var MODES={disarmed:'Disarmed',arming:'Arming',armed_away:'Armed away',armed_home:'Armed home',armed_night:'Armed night',pending:'Entry delay',triggered:'ALARM'};
function tr(t){return T.filter(function(x){return x.type==t})[0]||{}}
var AM=['armed_away','armed_home','armed_night'];
var CID={121:'Duress',122:'Silent panic',123:'Panic',130:'Burglary',134:'Entry/exit alarm',137:'Tamper',301:'Mains lost',302:'Low battery',305:'Panel restart',306:'Config changed',350:'Uplink trouble',370:'Zone trouble',374:'Exit error',441:'Armed home/night',461:'Wrong-code lockout',570:'Zone bypass',602:'Test report',623:'Log 90% full',624:'Log overflow'};
function api(m,p,b,raw){return fetch(p,{method:m,headers:{'content-type':'application/json','x-csrf-token':C||''},body:raw!=null?raw:b&&JSON.stringify(b)}).then(function(r){return r.json().catch(function(){return{errors:[{field:'',message:'HTTP '+r.status}]}}).then(function(j){j.status=r.status;return j})})}
function el(t,a){var e=D.createElement(t);for(var k in a||{}){var v=a[k];if(v===true)e.setAttribute(k,'');else if(v!=null&&v!==false)e.setAttribute(k,v)}[].concat.apply([],[].slice.call(arguments,2)).forEach(function(c){if(c!=null)e.append(c)});return e}
function txt(r){return(r.errors||[]).map(function(x){return(x.field?x.field+': ':'')+x.message}).join('; ')}
function get(o,p){return p.split('.').reduce(function(o,k){return o==null?o:o[k]},o)}
function put(o,p,v){var k=p.split('.'),l=k.pop();k.reduce(function(o,x){return o[x]=o[x]&&typeof o[x]=='object'?o[x]:{}},o)[l]=v}
function num(v){return v===''?undefined:Number(v)}
function opts(list,v,names){return list.map(function(x,i){return el('option',{value:x,selected:String(x)==String(v)},names?names[i]:String(x))})}
function showK(s){var m=$('#mode');m.textContent=MODES[s.mode]+(s.exit?' · '+s.exit+' s':'')+(s.entry?' · '+s.entry+' s':'');m.className='badge '+s.mode;
var k=$('#ks');k.textContent=s.lockout?'Locked after too many wrong codes: '+s.lockout+' s left':'';k.className=s.lockout?'locked':''}
$$('[data-a]').forEach(function(b){b.onclick=function(){$('#km').textContent='…';$('#km').className='';api('POST','/api/keypad',{action:b.dataset.a,code:$('#kc').value}).then(function(r){$('#kc').value='';var m=$('#km');
m.textContent=r.ok?'Done: '+MODES[r.state.mode]+'.':r.message||txt(r);m.className=r.ok?'ok':'err';if(r.state)showK(r.state)})}});
function tick(){api('GET','/api/keypad').then(function(r){if(r.mode)showK(r)});if(C)status()}
$('#lf').onsubmit=function(e){e.preventDefault();api('POST','/api/login',{code:$('#lc').value}).then(function(r){if(r.csrf)location.reload();else{$('#lc').value='';$('#le').textContent=txt(r)}})};
$('#out').onclick=function(){api('POST','/api/logout').then(function(){location.reload()})};
function kv(k,v){return[el('dt',0,k),el('dd',0,v)]}
function status(){api('GET','/api/status').then(function(r){if(r.status==401)return location.reload();var u=r.uplink,s=r.snapshot;$('#pn').textContent=r.panel.name;
$('#st').replaceChildren.apply($('#st'),[].concat(kv('Mode',MODES[s.mode]+(s.armedMode&&s.mode!=s.armedMode?' ('+MODES[s.armedMode]+')':'')),kv('Siren',s.siren?'sounding':'quiet'),
kv('Uplink',!r.broker?'no broker set':u&&u.up?'connected to '+r.broker+' (MQTT '+(u.protocol==5?'5':'3.1.1')+')':'down'+(u&&u.lastReason?': '+u.lastReason:'')),kv('Outbox',r.outbox+' event(s) waiting'),kv('Boot / last event','#'+r.boot+' / #'+r.lastSeq)));
$('#zs').replaceChildren.apply($('#zs'),s.zones.map(function(z){return el('span',{class:'chip'+(z.fault?' bad':z.open?' open':'')},z.zone+' '+z.name+': '+(z.fault?'fault':z.open?'open':'closed')+(z.bypassed?', bypassed':'')+(z.memory?', alarm memory':''))}))})}
function secretUI(e,p){var w=e.parentNode,o=w.querySelector('.set');if(o)o.remove();e.value='';e.placeholder=S.indexOf(p)>=0?'set: empty keeps it':'not set';
if(S.indexOf(p)>=0)w.append(el('span',{class:'set'},'set · ',el('input',{type:'checkbox','data-rm':p,'aria-label':'remove'}),' remove'))}
function zoneRow(z,pin,kind){var md=z.modes||[],t=el('tr',{'data-r':1});t._z=z;t._p=pin||{wiring:'NC',pull:'up'};t._k=kind||K[0].kind;
var ty=el('select',{class:'ty'},opts(T.map(function(x){return x.type}),z.type));
t.append(el('td',0,el('input',{class:'n',type:'number',value:z.number,'aria-label':'Zone number'})),el('td',0,el('input',{class:'nm',value:z.name||'','aria-label':'Zone name'})),el('td',0,ty));
AM.forEach(function(m){t.append(el('td',0,el('input',{type:'checkbox',class:'md',value:m,checked:md.indexOf(m)>=0,'aria-label':m})))});
t.append(el('td',0,el('input',{type:'checkbox',class:'ch',checked:!!z.chime,'aria-label':'Chime'})),el('td',0,el('select',{class:'k'},opts(K.map(function(k){return k.kind}),t._k,K.map(function(k){return k.title})))),
el('td',0,el('input',{class:'pn',type:'number',value:pin?pin.pin:'','aria-label':'GPIO'})),el('td',0,el('select',{class:'w'},opts(['NC','NO'],t._p.wiring||'NC'))),el('td',0,el('button',{type:'button',class:'x',title:'Remove zone'},'×')));
function al(){var a=tr(ty.value).always;$$('.md',t).forEach(function(c){c.disabled=a})}ty.onchange=al;al();return t}
function userRow(u,i){var t=el('tr',{'data-r':1}),p='alarm.users['+i+'].',saved=i>=0&&V.alarm.users[i]&&V.alarm.users[i].number==u.number,key=saved&&S.indexOf('remote.'+u.number)>=0;
var c=el('input',{class:'c',type:'password',inputmode:'numeric',autocomplete:'new-password',placeholder:saved?'set: empty keeps it':'4–8 digits','aria-label':'Code'}),d=el('input',{class:'d',type:'password',inputmode:'numeric',autocomplete:'new-password',placeholder:saved&&S.indexOf(p+'duressCode')>=0?'set: empty keeps it':'none','aria-label':'Duress code'});
var dc=el('td',0,d);if(saved&&S.indexOf(p+'duressCode')>=0)dc.append(el('label',{class:'check set'},el('input',{type:'checkbox',class:'dr'}),'remove'));
var kc=el('td',{class:'nw'});if(saved){kc.append(el('span',{class:key?'set':'note'},key?'set ':'none '),el('button',{type:'button',class:'ghost nk'},key?'Replace':'New key'),' ',el('button',{type:'button',class:'ghost ek'},'Enter key'));if(key)kc.append(' ',el('button',{type:'button',class:'ghost rk'},'Revoke'))}else kc.append(el('span',{class:'note'},'save first'));
t.append(el('td',0,el('input',{class:'n',type:'number',value:u.number,'aria-label':'User number'})),el('td',0,el('input',{class:'nm',value:u.name||'','aria-label':'User name'})),el('td',0,el('select',{class:'ro'},opts(['master','user','arm-only'],u.role))),el('td',0,c),dc,kc,el('td',0,el('button',{type:'button',class:'x',title:'Remove user'},'×')));
$$('.ek',t).forEach(function(b){b.onclick=function(){var v=prompt('Key for user '+u.number+', as monitor keygen prints it (43 characters, or its --json line):');if(!v)return;v=v.trim();if(v.charAt(0)=='{')try{v=JSON.parse(v).key||''}catch(e){}
api('POST','/api/remote-key',{user:u.number,key:v}).then(function(r){var k=$('#kb');k.hidden=false;k.replaceChildren(r.entered?'Key of user '+u.number+' entered.':txt(r));load()})}});
$$('.nk,.rk',t).forEach(function(b){b.onclick=function(){var rv=b.className.indexOf('rk')>=0;if(key&&!confirm(rv?'Revoke the remote key of user '+u.number+'?':'Replace the key of user '+u.number+'? The monitor must then get the new one.'))return;
api('POST','/api/remote-key',rv?{user:u.number,revoke:true}:{user:u.number}).then(function(r){var k=$('#kb');k.hidden=false;k.replaceChildren(r.key?el('div',0,el('b',0,'Remote key of user '+u.number),' (shown this once: give it to the monitor now)',el('code',{id:'key'},r.key)):r.revoked?'Key of user '+u.number+' revoked.':txt(r));load()})}});return t}
function fill(){$$('#cf [data-f]').forEach(function(e){if(e.closest('tr'))return;var p=e.dataset.f,v=get(V,p);if(e.type=='checkbox')e.checked=!!v;else if(e.dataset.s!=null)secretUI(e,p);else e.value=v==null?'':v});
var hu=$('#hu');hu.replaceChildren.apply(hu,[el('option',{value:''},'none')].concat(opts(V.alarm.users.map(function(u){return u.number}),V.homeAssistant.user,V.alarm.users.map(function(u){return u.number+' '+u.name}))));
var pins=[].concat.apply([],K.map(function(k){return(V.pins[k.key]||[]).map(function(p){return[p,k.kind]})}));
$('#zt tbody').replaceChildren.apply($('#zt tbody'),V.alarm.zones.map(function(z){var p=pins.filter(function(x){return x[0].zone==z.number})[0]||[];return zoneRow(z,p[0],p[1])}));
$('#ut tbody').replaceChildren.apply($('#ut tbody'),V.alarm.users.map(userRow));
$('#tt').replaceChildren.apply($('#tt'),AM.map(function(m){var b='alarm.timers.'+m+'.';return el('tr',0,el('td',0,MODES[m]),el('td',0,el('input',{type:'number','data-f':b+'exitDelay',value:V.alarm.timers[m].exitDelay})),el('td',0,el('input',{type:'number','data-f':b+'entryDelay',value:V.alarm.timers[m].entryDelay})))}))}
D.addEventListener('click',function(e){if(e.target.className=='x')e.target.closest('tr').remove()});
$('#za').onclick=function(){var n=$$('#zt .n').reduce(function(m,e){return Math.max(m,+e.value||0)},0)+1;$('#zt tbody').append(zoneRow({number:n,name:'Zone '+n,type:'instant',modes:AM.slice()}))};
$('#ua').onclick=function(){var n=$$('#ut .n').reduce(function(m,e){return Math.max(m,+e.value||0)},0)+1;$('#ut tbody').append(userRow({number:n,name:'User '+n,role:'user'},-1))};
function form(){var o=JSON.parse(JSON.stringify(V)),M={};
$$('#cf [data-f]').forEach(function(e){var p=e.dataset.f,t=e.dataset.t,v=e.type=='checkbox'?e.checked:e.value,rm=$('[data-rm="'+p+'"]');M[p]=e;
if(t=='n'||e.type=='number')v=num(v);if(t=='v')v=v=='auto'?v:Number(v);if(rm&&rm.checked)v=null;put(o,p,v)});
o.alarm.zones=[];K.forEach(function(k){o.pins[k.key]=[]});
$$('#zt tbody tr').forEach(function(r,i){var q=function(s){return r.querySelector(s)},z=Object.assign({},r._z),a='alarm.zones['+i+']',k=q('.k').value,l=K.filter(function(x){return x.kind==k})[0].key;
z.number=num(q('.n').value);z.name=q('.nm').value;z.type=q('.ty').value;z.chime=q('.ch').checked;
if(tr(z.type).always)delete z.modes;else z.modes=$$('.md',r).filter(function(c){return c.checked}).map(function(c){return c.value});
if(!tr(z.type).silent)delete z.silent;if(!tr(z.type).sirenWhenDisarmed)delete z.sirenWhenDisarmed;o.alarm.zones.push(z);
var pn=Object.assign({},r._k==k?r._p:{pull:r._p.pull||'up'});pn.zone=z.number;pn.pin=num(q('.pn').value);pn.wiring=q('.w').value;var b='pins.'+l+'['+o.pins[l].length+']';o.pins[l].push(pn);
M[a]=M[a+'.name']=q('.nm');M[a+'.number']=M[b+'.zone']=q('.n');M[a+'.type']=q('.ty');M[a+'.modes']=q('.md');M[a+'.chime']=q('.ch');M[b]=M[b+'.pin']=q('.pn');M[b+'.wiring']=q('.w')});
o.alarm.users=$$('#ut tbody tr').map(function(r,i){var q=function(s){return r.querySelector(s)},a='alarm.users['+i+']',u={number:num(q('.n').value),name:q('.nm').value,role:q('.ro').value};
if(q('.c').value)u.code=q('.c').value;if(q('.d').value)u.duressCode=q('.d').value;else if(q('.dr')&&q('.dr').checked)u.duressCode=null;
M[a]=M[a+'.name']=q('.nm');M[a+'.number']=q('.n');M[a+'.role']=q('.ro');M[a+'.code']=q('.c');M[a+'.duressCode']=q('.d');return u});
return{o:o,M:M}}
function clearErr(){$$('.fe').forEach(function(e){e.remove()});$$('[aria-invalid]').forEach(function(e){e.removeAttribute('aria-invalid')});$('#ce').hidden=true}
function showErr(r,M){var rest=[],first;(r.errors||[]).forEach(function(x){var f=x.field,e;while(f&&!(e=M[f])){var g=f.replace(/(\.[^.\[]+|\[\d+\])$/,'');f=g==f?'':g}
if(!e)return rest.push((x.field?x.field+': ':'')+x.message);e.setAttribute('aria-invalid','true');e.parentNode.append(el('small',{class:'fe','data-for':x.field},x.message));first=first||e});
var b=$('#ce');b.hidden=false;b.replaceChildren(el('b',0,'Nothing was saved. '),(r.errors||[]).length+' problem(s)'+(first?', marked below.':'.'),el('ul',0,rest.map(function(t){return el('li',0,t)})));b.scrollIntoView({block:'center'})}
$('#cf').onsubmit=function(e){e.preventDefault();var f=form();clearErr();$('#sm').textContent='Saving…';$('#sm').className='';api('POST','/api/config',f.o).then(function(r){
if(r.status==200){V=r.config;S=r.set;K=r.kinds;T=r.types;fill();$('#sm').textContent='Saved.';$('#sm').className='ok';status()}else{$('#sm').textContent='Not saved.';$('#sm').className='err';showErr(r,f.M)}})};
function load(){api('GET','/api/config').then(function(r){if(r.config){V=r.config;S=r.set;K=r.kinds;T=r.types;fill();$('#us').checked=!!r.sealed;$('#us').disabled=S.indexOf('uplink')<0}})}
$('#us').onchange=function(){var on=$('#us').checked;api('POST','/api/uplink-key',{sealed:on}).then(function(r){$('#ub').textContent=r.status==200?(on?'Sealed: monitors need the uplink key to read anything.':'Sealed mode off: authenticated, readable by the broker.'):txt(r);load()})};
function logs(){api('GET','/api/log?max=50').then(function(r){var t=$('#lt');t.replaceChildren.apply(t,[el('tr',0,el('th',0,'#'),el('th',0,'When'),el('th',0,'Event'),el('th',0,'Zone / user'))].concat((r.events||[]).reverse().map(function(e){
return el('tr',0,el('td',0,String(e.seq)),el('td',0,e.time?new Date(e.time*1e3).toLocaleString():'boot '+e.boot+', '+Math.round(e.uptime/1e3)+' s'),el('td',0,e.code+' '+(e.code==401?(e.q==1?'Disarmed':'Armed'):(CID[e.code]||'')+(e.q==3?' (restore)':''))),el('td',0,e.zone?'zone '+e.zone:e.user?'user '+e.user:''))})))})}
$('#lr').onclick=logs;
$('#uk').onclick=function(){if(S.indexOf('uplink')>=0&&!confirm('Replace the uplink key? Every monitor must then get the new one.'))return;api('POST','/api/uplink-key',{}).then(function(r){var b=$('#ub');b.replaceChildren(r.uplink?el('div',0,el('b',0,'Uplink key'),' (shown this once: give it to the monitors now)',el('code',{id:'ukey'},r.uplink)):txt(r));load()})};
$('#im').onchange=function(e){var f=e.target.files[0];e.target.value='';if(!f||!confirm('Replace the whole config with '+f.name+'?'))return;$('#ir').textContent='Importing…';$('#ir').className='';
f.text().then(function(t){return api('POST','/api/config/import',null,t)}).then(function(r){var m=$('#ir');m.textContent=r.status==200?'Imported and applied.':'Not imported (nothing changed): '+txt(r);m.className=r.status==200?'ok':'err';if(r.status==200){V=r.config;S=r.set;K=r.kinds;T=r.types;fill();if(r.loggedOut){var later=window.setTimeout;later(function(){location.reload()},1500)}}})};
if(C){$('#app').hidden=$('#sc').hidden=false;$('#out').hidden=false;load();logs()}else $('#login').hidden=false;
tick();var every=window.setInterval;every(tick,2000);
`;

const base64 = (bytes: Uint8Array): string => {
  const url = encodeKey(bytes).replace(/-/g, '+').replace(/_/g, '/');
  return url + '==='.slice(0, (4 - (url.length % 4)) % 4);
};
/** A CSP source for an inline script or style: its SHA-256. */
export const hash = (text: string) => `'sha256-${base64(sha256(utf8(text)))}'`;

/**
 * Headers of the page: only its own script and style run, nothing loads from elsewhere. Two
 * SHA-256 per call: the portal makes them once (not here at load: on Moddable the hash is native,
 * which preload cannot run).
 */
export function pageHeaders(): Record<string, string> {
  const policy = `default-src 'none'; script-src ${hash(script)}; style-src ${hash(style)}; connect-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'`;
  return {
    'content-type': 'text/html; charset=utf-8',
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
    'x-frame-options': 'DENY',
    'referrer-policy': 'same-origin',
    'content-security-policy': policy,
  };
}

/** The page, with the session's CSRF token when there is a session. */
export function page(csrf?: string): string {
  const token = csrf && /^[A-Za-z0-9_-]+$/.test(csrf) ? csrf : '';
  return `<!doctype html><html lang=en data-csrf="${token}"><head><meta charset=utf-8><meta name=viewport content="width=device-width,initial-scale=1"><title>Alarm panel</title><link rel=icon href="data:,"><style>${style}</style></head><body>${body}<script>${script}</script></body></html>`;
}
