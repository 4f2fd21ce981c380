#include "server/page.h"

namespace sdxl::server {

// The element ids (prompt, generate, progress, preview, result, error...) are what tests/server/test_page.py
// drives; keep them when changing the page.
const char* page_html() {
  return R"PAGE(<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>sdxl-gen</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body{font-family:system-ui,sans-serif;margin:1.5em;max-width:1100px;background:#fafafa;color:#222}
h1{font-size:1.3em} label{display:block;margin:.4em 0 .1em;font-size:.9em;color:#555}
textarea,input,select{width:100%;box-sizing:border-box;padding:.35em;font:inherit}
.row{display:flex;gap:.8em}.row>div{flex:1} .cols{display:flex;gap:2em;align-items:flex-start}
.cols>div{flex:1} button{margin-top:1em;padding:.6em 1.6em;font-size:1em}
#bar{height:10px;background:#ddd;margin-top:1em}#bar>div{height:100%;width:0;background:#3a7}
#error{color:#b00;white-space:pre-wrap;margin-top:.8em} img{max-width:100%;image-rendering:pixelated;border:1px solid #ccc}
img.output,#preview{min-width:256px;display:block}
#params{white-space:pre-wrap;font-size:.85em;background:#eee;padding:.5em} #loras span{cursor:pointer;text-decoration:underline;margin-right:.6em}
</style></head><body>
<h1>sdxl-gen</h1>
<div class="cols"><div>
<label for="prompt">Prompt</label><textarea id="prompt" rows="3"></textarea>
<label for="negative">Negative prompt</label><textarea id="negative" rows="2"></textarea>
<div class="row"><div><label for="width">Width</label><input id="width" type="number" value="1024" step="8" min="8"></div>
<div><label for="height">Height</label><input id="height" type="number" value="1024" step="8" min="8"></div></div>
<div class="row"><div><label for="steps">Steps</label><input id="steps" type="number" value="30" min="1"></div>
<div><label for="cfg">CFG scale</label><input id="cfg" type="number" value="5" step="0.5" min="0"></div>
<div><label for="seed">Seed (-1 random)</label><input id="seed" type="number" value="-1"></div></div>
<label for="sampler">Sampler</label><select id="sampler"></select>
<label>LoRAs (click to add to the prompt)</label><div id="loras">none</div>
<label for="apikey">API key (when the server has one)</label><input id="apikey" type="password" autocomplete="off">
<button id="generate">Generate</button>
<div id="bar"><div></div></div><div id="status"></div><div id="error"></div>
</div><div>
<img id="preview" alt="" style="display:none">
<div id="result"></div>
</div></div>
<script>
const $ = id => document.getElementById(id);
$('apikey').value = localStorage.getItem('sdxl-gen-key') || '';
function headers() {
  const h = {'Content-Type': 'application/json'}, key = $('apikey').value;
  if (key) h['Authorization'] = 'Bearer ' + key;
  return h;
}
async function api(path, body) {
  const r = await fetch(path, body === undefined ? {headers: headers()} : {method: 'POST', headers: headers(), body: JSON.stringify(body)});
  const text = await r.text();
  let j; try { j = JSON.parse(text); } catch (e) { j = {detail: text}; }
  if (!r.ok) throw new Error(r.status + ': ' + (j.detail || (j.error && j.error.message) || text));
  return j;
}
async function lists() {
  try {
    const samplers = await api('/sdapi/v1/samplers');
    $('sampler').innerHTML = samplers.map(s => '<option>' + s.name + '</option>').join('');
    const loras = await api('/sdapi/v1/loras');
    if (loras.length) {
      $('loras').textContent = '';
      for (const l of loras) {
        const s = document.createElement('span'); s.textContent = l.name;
        s.onclick = () => { $('prompt').value += ' <lora:' + l.name + ':1>'; };
        $('loras').appendChild(s);
      }
    }
  } catch (e) { $('error').textContent = String(e.message || e); }
}
let polling = null;
async function poll() {
  try {
    const p = await api('/sdapi/v1/progress');
    $('bar').firstChild.style.width = Math.round(100 * p.progress) + '%';
    $('status').textContent = p.textinfo || '';
    if (p.current_image) { $('preview').src = 'data:image/png;base64,' + p.current_image; $('preview').style.display = ''; }
  } catch (e) {}
}
$('generate').onclick = async () => {
  localStorage.setItem('sdxl-gen-key', $('apikey').value);
  $('error').textContent = ''; $('generate').disabled = true; $('bar').firstChild.style.width = '0';
  polling = setInterval(poll, 400);
  try {
    const body = {prompt: $('prompt').value, negative_prompt: $('negative').value,
      width: +$('width').value, height: +$('height').value, steps: +$('steps').value,
      cfg_scale: +$('cfg').value, seed: +$('seed').value, sampler_name: $('sampler').value};
    const r = await api('/sdapi/v1/txt2img', body);
    const info = JSON.parse(r.info);
    $('result').innerHTML = '';
    r.images.forEach((b64, i) => {
      const img = document.createElement('img'); img.className = 'output'; img.src = 'data:image/png;base64,' + b64;
      const a = document.createElement('a'); a.href = img.src; a.download = 'sdxl-gen-' + info.all_seeds[i] + '.png';
      a.textContent = 'download'; a.className = 'download';
      const p = document.createElement('div'); p.id = 'params'; p.textContent = info.infotexts[i];
      $('result').append(img, a, p);
    });
    $('bar').firstChild.style.width = '100%'; $('status').textContent = 'done';
  } catch (e) { $('error').textContent = String(e.message || e); }
  clearInterval(polling); $('generate').disabled = false; $('preview').style.display = 'none';
};
lists();
</script></body></html>
)PAGE";
}

}  // namespace sdxl::server
