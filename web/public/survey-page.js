// touchpoint's survey page: opens the link in the URL (/s/<token>), renders its survey with SurveyJS
// (survey-core + survey-js-ui) in the respondent's language, saves an invitation's answers as the
// respondent goes, and sends the completed answers back. Everything it loads comes from this server.
(function () {
  'use strict';

  var root = document.getElementById('survey');
  // /s/<token>, or /s/<token>/opt-out to receive no more surveys.
  var path = location.pathname.match(/^\/s\/([^/]+)(\/opt-out)?$/) || [];
  var token = decodeURIComponent(path[1] || '');
  var optingOut = Boolean(path[2]);
  var api = '/api/v1/respond/' + encodeURIComponent(token);

  // Messages of our own, in the languages touchpoint's surveys are written in.
  var messages = {
    default: {
      not_found: 'This survey link is not valid.',
      failed_precondition: 'This survey is no longer open.',
      conflict: 'This survey has already been answered. Thank you!',
      rate_limited: 'Too many answers from your network. Please try again in a minute.',
      unavailable: 'The survey is not available right now. Please try again later.',
      error: 'Something went wrong. Please try again later.',
      opt_out: 'Receive no more surveys from us',
      opted_out: 'Done. We will not send you any more surveys.'
    },
    cs: {
      not_found: 'Tento odkaz na dotazník není platný.',
      failed_precondition: 'Tento dotazník už není otevřený.',
      conflict: 'Tento dotazník už byl vyplněn. Děkujeme!',
      rate_limited: 'Z vaší sítě přišlo příliš mnoho odpovědí. Zkuste to prosím za minutu.',
      unavailable: 'Dotazník teď není dostupný. Zkuste to prosím později.',
      error: 'Něco se pokazilo. Zkuste to prosím později.',
      opt_out: 'Nechci od vás další dotazníky',
      opted_out: 'Hotovo. Žádné další dotazníky vám posílat nebudeme.'
    },
    sk: {
      not_found: 'Tento odkaz na dotazník nie je platný.',
      failed_precondition: 'Tento dotazník už nie je otvorený.',
      conflict: 'Tento dotazník už bol vyplnený. Ďakujeme!',
      rate_limited: 'Z vašej siete prišlo príliš veľa odpovedí. Skúste to prosím o minútu.',
      unavailable: 'Dotazník teraz nie je dostupný. Skúste to prosím neskôr.',
      error: 'Niečo sa pokazilo. Skúste to prosím neskôr.',
      opt_out: 'Nechcem od vás ďalšie dotazníky',
      opted_out: 'Hotovo. Žiadne ďalšie dotazníky vám posielať nebudeme.'
    },
    pl: {
      not_found: 'Ten link do ankiety jest nieprawidłowy.',
      failed_precondition: 'Ta ankieta nie jest już otwarta.',
      conflict: 'Ta ankieta została już wypełniona. Dziękujemy!',
      rate_limited: 'Zbyt wiele odpowiedzi z Twojej sieci. Spróbuj ponownie za minutę.',
      unavailable: 'Ankieta jest teraz niedostępna. Spróbuj ponownie później.',
      error: 'Coś poszło nie tak. Spróbuj ponownie później.',
      opt_out: 'Nie chcę więcej ankiet',
      opted_out: 'Gotowe. Nie będziemy już wysyłać Ci ankiet.'
    },
    sl: {
      not_found: 'Ta povezava do ankete ni veljavna.',
      failed_precondition: 'Ta anketa ni več odprta.',
      conflict: 'Na to anketo ste že odgovorili. Hvala!',
      rate_limited: 'Iz vašega omrežja je prišlo preveč odgovorov. Poskusite znova čez minuto.',
      unavailable: 'Anketa trenutno ni na voljo. Poskusite znova pozneje.',
      error: 'Nekaj je šlo narobe. Poskusite znova pozneje.',
      opt_out: 'Ne želim več anket',
      opted_out: 'Končano. Anket vam ne bomo več pošiljali.'
    }
  };
  var language = (navigator.language || 'en').slice(0, 2).toLowerCase();

  function text(code) {
    var own = messages[language] || messages.default;
    return own[code] || messages.default[code] || own.error;
  }

  function show(message) {
    root.textContent = '';
    var paragraph = document.createElement('p');
    paragraph.className = 'tp-message';
    paragraph.setAttribute('role', 'status');
    paragraph.textContent = message;
    root.appendChild(paragraph);
  }

  function codeOf(body) {
    return body && body.error && body.error.code ? body.error.code : 'error';
  }

  function send(method, payload) {
    return fetch(api, {
      method: method,
      headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
      body: JSON.stringify(payload),
      credentials: 'omit'
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (body) {
        return { ok: response.ok, body: body };
      });
    });
  }

  // survey-core's own texts (buttons, required-answer errors) in the respondent's language.
  function loadLocale(locale) {
    return new Promise(function (resolve) {
      if (!locale || locale === 'en' || locale === 'default') return resolve();
      var script = document.createElement('script');
      script.src = '/assets/survey/' + encodeURIComponent(locale) + '.js';
      script.onload = resolve;
      script.onerror = resolve;  // a language without a bundle keeps the English buttons
      document.head.appendChild(script);
    });
  }

  function run(opened) {
    if (opened.language) {
      language = opened.language;
      document.documentElement.lang = opened.language;
    }
    var model = new Survey.Model(opened.survey.definition);
    if (opened.language) model.locale = opened.language;
    if (model.title) document.title = model.title;
    model.data = opened.saved || {};
    var payload = function (sender) {
      return { data: sender.data, version: opened.survey.version, language: opened.language || '' };
    };

    if (opened.kind === 'invitation') {
      var pending = null;
      model.onValueChanged.add(function (sender) {
        clearTimeout(pending);
        pending = setTimeout(function () { send('PUT', payload(sender)); }, 800);
      });
    }
    model.onComplete.add(function (sender, options) {
      clearTimeout(pending);
      options.showSaveInProgress();
      send('POST', payload(sender)).then(function (result) {
        if (result.ok) {
          options.showSaveSuccess();
          if (opened.kind === 'kiosk') {
            // The next customer starts on a fresh survey.
            setTimeout(function () { sender.clear(true, true); }, 5000);
          }
        } else {
          options.showSaveError(result.body.error ? result.body.error.message : text('error'));
        }
      }, function () {
        options.showSaveError(text('error'));
      });
    });
    root.textContent = '';
    model.render(root);
  }

  // A button, not the link itself: mail scanners follow links, and must not opt anyone out.
  function offerOptOut() {
    root.textContent = '';
    var button = document.createElement('button');
    button.type = 'button';
    button.className = 'sd-btn sd-btn--action tp-opt-out';
    button.textContent = text('opt_out');
    button.addEventListener('click', function () {
      button.disabled = true;
      fetch(api + '/opt-out', { method: 'POST', credentials: 'omit' }).then(function (response) {
        if (response.ok) return show(text('opted_out'));
        return response.json().then(function (body) { show(text(codeOf(body))); });
      }, function () { show(text('error')); });
    });
    root.appendChild(button);
  }

  if (optingOut) return offerOptOut();

  fetch(api, { headers: { Accept: 'application/json' }, credentials: 'omit' })
    .then(function (response) {
      return response.json().then(function (body) { return { ok: response.ok, body: body }; });
    })
    .then(function (result) {
      if (!result.ok) return show(text(codeOf(result.body)));
      return loadLocale(result.body.language).then(function () { run(result.body); });
    })
    .catch(function () { show(text('error')); });
})();
