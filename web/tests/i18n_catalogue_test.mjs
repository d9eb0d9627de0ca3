// The web app's catalogues (web/app/src/i18n/*.json): every language has exactly the English keys,
// no text is empty, each keeps the English text's {placeholders}, a translation is not English copied
// (at most a tenth of a catalogue may equal English: "E-mail", "Status" and the like), and every key is
// used: written as a quoted literal somewhere in web/app/src (t('inbox.search') or a table of keys).
// Run by CTest (tests/CMakeLists.txt, web_i18n_catalogues):  node web/tests/i18n_catalogue_test.mjs
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const appSource = join(dirname(fileURLToPath(import.meta.url)), '..', 'app', 'src');
const catalogueDir = join(appSource, 'i18n');
const languages = ['en', 'cs', 'sk', 'pl', 'sl'];
const failures = [];

const catalogues = Object.fromEntries(
  languages.map((language) => [language, JSON.parse(readFileSync(join(catalogueDir, `${language}.json`), 'utf8'))]),
);
const english = catalogues.en;
const keys = Object.keys(english);
const placeholders = (text) => [...text.matchAll(/\{(\w+)\}/g)].map((match) => match[1]).sort().join(',');

for (const language of languages) {
  const catalogue = catalogues[language];
  for (const key of keys) {
    if (!(key in catalogue)) failures.push(`${language}: missing key ${key}`);
    else if (typeof catalogue[key] !== 'string' || !catalogue[key].trim()) failures.push(`${language}: empty text for ${key}`);
    else if (placeholders(catalogue[key]) !== placeholders(english[key])) {
      failures.push(`${language}: ${key} has placeholders {${placeholders(catalogue[key])}}, English {${placeholders(english[key])}}`);
    }
  }
  for (const key of Object.keys(catalogue)) {
    if (!(key in english)) failures.push(`${language}: key ${key} is not in the English catalogue`);
  }
  if (language !== 'en') {
    const same = keys.filter((key) => catalogue[key] === english[key] && /[a-z]{3}/i.test(english[key]));
    if (same.length > keys.length / 10) {
      failures.push(`${language}: ${same.length} of ${keys.length} texts are the English ones: ${same.join(', ')}`);
    }
  }
}

function sources(directory) {
  return readdirSync(directory).flatMap((name) => {
    const path = join(directory, name);
    if (statSync(path).isDirectory()) return sources(path);
    return /\.(ts|tsx)$/.test(name) && !name.endsWith('.d.ts') ? [path] : [];
  });
}
const code = sources(appSource).map((path) => readFileSync(path, 'utf8')).join('\n');
for (const key of keys) {
  if (!code.includes(`'${key}'`) && !code.includes(`"${key}"`)) failures.push(`unused key ${key}`);
}
// Every t('…') names a key of the catalogue (tsc checks it too; this keeps the test meaningful alone).
for (const match of code.matchAll(/\bt\(\s*'([^']+)'/g)) {
  if (!(match[1] in english)) failures.push(`t('${match[1]}') names no catalogue key`);
}

for (const failure of failures) console.error(`FAIL ${failure}`);
console.log(JSON.stringify({ ok: failures.length === 0, languages: languages.length, keys: keys.length, failures: failures.length }));
process.exit(failures.length === 0 ? 0 : 1);
