/* The schedule form in the admin: under the crontab picker, say in words when it runs
   (what django-celery-beat's own template does with an inline script). */
(function ($) {
  "use strict";
  const readable = JSON.parse(document.getElementById("readable-crontabs").textContent);
  const help = JSON.parse(document.getElementById("crontab-help").textContent);
  function update() {
    const line = $(".field-crontab .help");
    line.text(help);
    const words = readable[$("#id_crontab").val()];
    if (words) line.append(document.createElement("br"), document.createTextNode(words));
  }
  $(".field-crontab_translation").hide();
  $(".field-crontab").change(update);
})(django.jQuery);
