/**
 * Everything the offline model writes in its own words, in each language it can answer in. Translation
 * is phrase-level on purpose: the model's own sentences come from this catalog, so asking for German
 * gives German sentences deterministically; text it quotes (approved answers, facts from the prompt,
 * the customer's own words) stays in the language it was written in, as a human agent pasting a
 * policy would leave it.
 */
import { hash } from "./text.ts";

export const LANGUAGES = ["en", "de", "fr", "es"] as const;
export type Language = (typeof LANGUAGES)[number];

type Entry = Record<Language, string | readonly string[]>;

const CATALOG = {
  "opener.how": {
    en: ["Thanks for asking {how}.", "Good question: {how}.", "Here is {how}."],
    de: ["Danke für Ihre Frage, {how}.", "Gute Frage: {how}.", "So geht es: {how}."],
    fr: ["Merci pour votre question : {how}.", "Bonne question : {how}.", "Voici la marche à suivre : {how}."],
    es: ["Gracias por preguntar: {how}.", "Buena pregunta: {how}.", "Así se hace: {how}."],
  },
  "opener.about": {
    en: ["Thanks for your question about {subject}.", "Good question about {subject}.", "Here is a clearer answer about {subject}."],
    de: ["Danke für Ihre Frage zu {subject}.", "Gute Frage zu {subject}.", "Hier ist eine klarere Antwort zu {subject}."],
    fr: ["Merci pour votre question sur {subject}.", "Bonne question sur {subject}.", "Voici une réponse plus claire sur {subject}."],
    es: ["Gracias por su pregunta sobre {subject}.", "Buena pregunta sobre {subject}.", "Aquí tiene una respuesta más clara sobre {subject}."],
  },
  sorry: {
    en: "Sorry the earlier answer missed the mark.",
    de: "Entschuldigung, die frühere Antwort hat Ihnen nicht weitergeholfen.",
    fr: "Désolé, la réponse précédente n'était pas à la hauteur.",
    es: "Lamentamos que la respuesta anterior no le haya ayudado.",
  },
  "sorry.comment": {
    en: 'Sorry the earlier answer missed the mark (you said: "{comment}").',
    de: 'Entschuldigung, die frühere Antwort hat Ihnen nicht weitergeholfen (Sie schrieben: "{comment}").',
    fr: "Désolé, la réponse précédente n'était pas à la hauteur (vous avez écrit : « {comment} »).",
    es: 'Lamentamos que la respuesta anterior no le haya ayudado (usted escribió: "{comment}").',
  },
  "label.short": { en: "Short answer:", de: "Kurze Antwort:", fr: "Réponse courte :", es: "Respuesta corta:" },
  "label.steps": { en: "Steps:", de: "Schritte:", fr: "Étapes :", es: "Pasos:" },
  follow: {
    en: "If this does not solve it, reply with {need} and we will take it from there.",
    de: "Falls das nicht hilft, antworten Sie mit {need}, und wir kümmern uns darum.",
    fr: "Si cela ne règle pas le problème, répondez avec {need} et nous prendrons le relais.",
    es: "Si esto no lo resuelve, responda con {need} y nos encargaremos.",
  },
  next: { en: "Next step: {step}", de: "Nächster Schritt: {step}", fr: "Prochaine étape : {step}", es: "Siguiente paso: {step}" },
  "next.reply": {
    en: "Next step: reply with {need} and we will take it from there.",
    de: "Nächster Schritt: Antworten Sie mit {need}, und wir kümmern uns darum.",
    fr: "Prochaine étape : répondez avec {need} et nous prendrons le relais.",
    es: "Siguiente paso: responda con {need} y nos encargaremos.",
  },
  link: { en: "More help: {link}", de: "Weitere Hilfe: {link}", fr: "Plus d'aide : {link}", es: "Más ayuda: {link}" },
  note: { en: "Please note: {x}", de: "Bitte beachten Sie: {x}", fr: "À noter : {x}", es: "Tenga en cuenta: {x}" },
  policy: { en: "Our policy: {x}", de: "Unsere Regelung: {x}", fr: "Notre politique : {x}", es: "Nuestra política: {x}" },
  also: { en: "Also relevant: {x}", de: "Ebenfalls relevant: {x}", fr: "Également utile : {x}", es: "También relevante: {x}" },
  "not-covered": {
    en: "If your question about {terms} is not covered here, reply with the details and we will follow up.",
    de: "Falls Ihre Frage zu {terms} hier nicht beantwortet ist, schreiben Sie uns die Details, und wir melden uns.",
    fr: "Si votre question sur {terms} n'est pas couverte ici, répondez avec les détails et nous reviendrons vers vous.",
    es: "Si su pregunta sobre {terms} no queda resuelta aquí, responda con los detalles y le contestaremos.",
  },
  "friendly.open": {
    en: ["Thanks for reaching out!", "Happy to help!", "Great question!"],
    de: ["Danke, dass Sie sich melden!", "Wir helfen gern!", "Gute Frage!"],
    fr: ["Merci de nous avoir écrit !", "Avec plaisir !", "Excellente question !"],
    es: ["¡Gracias por escribirnos!", "¡Con gusto le ayudamos!", "¡Buena pregunta!"],
  },
  "friendly.close": {
    en: "Have a great day!",
    de: "Einen schönen Tag noch!",
    fr: "Bonne journée !",
    es: "¡Que tenga un buen día!",
  },
  "formal.open": {
    en: "Thank you for your inquiry.",
    de: "Vielen Dank für Ihre Anfrage.",
    fr: "Nous vous remercions de votre demande.",
    es: "Le agradecemos su consulta.",
  },
  "formal.close": { en: "Kind regards.", de: "Mit freundlichen Grüßen.", fr: "Veuillez agréer nos salutations distinguées.", es: "Atentamente." },
  "empathetic.open": {
    en: "I'm sorry for the trouble with {subject}; I understand how frustrating this is.",
    de: "Es tut mir leid, dass es Ärger mit {subject} gibt; ich verstehe, wie frustrierend das ist.",
    fr: "Je suis désolé pour ce souci avec {subject} ; je comprends à quel point c'est frustrant.",
    es: "Siento mucho el problema con {subject}; entiendo lo frustrante que es.",
  },
  "empathetic.close": {
    en: "I hope this gets it sorted quickly.",
    de: "Ich hoffe, das ist schnell gelöst.",
    fr: "J'espère que cela sera vite réglé.",
    es: "Espero que se resuelva pronto.",
  },
  // ---- playbook: fallback answers per kind of question, filled with the question's own subject ----
  "error.direct": {
    en: "Problems like this with {s} usually come from one specific step, and the steps below narrow it down quickly.",
    de: "Probleme wie dieses mit {s} haben meist eine bestimmte Ursache, und die folgenden Schritte grenzen sie schnell ein.",
    fr: "Ce genre de problème avec {s} vient en général d'une étape précise, et les étapes ci-dessous permettent de la trouver vite.",
    es: "Los problemas así con {s} suelen venir de un paso concreto, y los pasos siguientes lo acotan rápido.",
  },
  "error.steps": {
    en: ["Note the exact error message and the step where it appears.", "Update the app (or reload the page) and try once more.", "Check whether it happens every time with {s} or only sometimes."],
    de: ["Notieren Sie die genaue Fehlermeldung und den Schritt, bei dem sie erscheint.", "Aktualisieren Sie die App (oder laden Sie die Seite neu) und versuchen Sie es noch einmal.", "Prüfen Sie, ob es bei {s} jedes Mal oder nur manchmal passiert."],
    fr: ["Notez le message d'erreur exact et l'étape où il apparaît.", "Mettez l'application à jour (ou rechargez la page) et réessayez.", "Vérifiez si cela arrive à chaque fois avec {s} ou seulement parfois."],
    es: ["Anote el mensaje de error exacto y el paso en el que aparece.", "Actualice la aplicación (o recargue la página) e inténtelo de nuevo.", "Compruebe si ocurre siempre con {s} o solo a veces."],
  },
  "error.need": { en: "the exact error message and when it happens", de: "der genauen Fehlermeldung und wann sie auftritt", fr: "le message d'erreur exact et le moment où il apparaît", es: "el mensaje de error exacto y cuándo ocurre" },
  "billing.direct": {
    en: "You can sort out {s} from your billing page; here is how.",
    de: "Sie können {s} auf Ihrer Abrechnungsseite klären; so geht es.",
    fr: "Vous pouvez régler {s} depuis votre page de facturation ; voici comment.",
    es: "Puede resolver {s} desde su página de facturación; así se hace.",
  },
  "billing.steps": {
    en: ["Open your billing history and find the charge or order in question.", "Compare its date and amount with your confirmation email.", "Use the request or contact option on that item if something is wrong."],
    de: ["Öffnen Sie Ihren Abrechnungsverlauf und suchen Sie die betreffende Zahlung oder Bestellung.", "Vergleichen Sie Datum und Betrag mit Ihrer Bestätigungs-E-Mail.", "Nutzen Sie die Anfrage- oder Kontaktoption bei diesem Eintrag, wenn etwas nicht stimmt."],
    fr: ["Ouvrez votre historique de facturation et retrouvez le paiement ou la commande en question.", "Comparez sa date et son montant avec votre e-mail de confirmation.", "Utilisez l'option de demande ou de contact de cet élément si quelque chose ne va pas."],
    es: ["Abra su historial de facturación y busque el cargo o pedido en cuestión.", "Compare su fecha e importe con el correo de confirmación.", "Use la opción de solicitud o contacto de ese elemento si algo no cuadra."],
  },
  "billing.need": { en: "your order or invoice number", de: "Ihrer Bestell- oder Rechnungsnummer", fr: "votre numéro de commande ou de facture", es: "su número de pedido o de factura" },
  "account.direct": {
    en: "You can usually fix {s} yourself in a few minutes.",
    de: "Sie können {s} meist in wenigen Minuten selbst beheben.",
    fr: "Vous pouvez en général régler {s} vous-même en quelques minutes.",
    es: "Normalmente puede resolver {s} usted mismo en unos minutos.",
  },
  "account.steps": {
    en: ["Use the “Forgot password” link on the sign-in page.", "Check your inbox (and spam folder) for the email we send.", "Follow the link within an hour, before it expires."],
    de: ["Nutzen Sie den Link „Passwort vergessen“ auf der Anmeldeseite.", "Suchen Sie in Ihrem Posteingang (und im Spam-Ordner) nach unserer E-Mail.", "Öffnen Sie den Link innerhalb einer Stunde, bevor er abläuft."],
    fr: ["Utilisez le lien « Mot de passe oublié » sur la page de connexion.", "Cherchez notre e-mail dans votre boîte de réception (et les spams).", "Suivez le lien dans l'heure, avant qu'il n'expire."],
    es: ["Use el enlace «Olvidé mi contraseña» en la página de inicio de sesión.", "Busque nuestro correo en su bandeja de entrada (y en spam).", "Siga el enlace antes de una hora, antes de que caduque."],
  },
  "account.need": { en: "the email address you sign in with (never your password)", de: "der E-Mail-Adresse, mit der Sie sich anmelden (nie Ihrem Passwort)", fr: "l'adresse e-mail de connexion (jamais votre mot de passe)", es: "el correo con el que inicia sesión (nunca su contraseña)" },
  "delivery.direct": {
    en: "You can see where {s} stands right now.",
    de: "Sie können jederzeit sehen, wo {s} gerade steht.",
    fr: "Vous pouvez voir où en est {s} dès maintenant.",
    es: "Puede ver ahora mismo en qué punto está {s}.",
  },
  "delivery.steps": {
    en: ["Open the tracking link in your shipping confirmation email.", "Check that the delivery address on the order is right.", "If tracking has not moved for several days, contact us with the order."],
    de: ["Öffnen Sie den Sendungsverfolgungs-Link in Ihrer Versandbestätigung.", "Prüfen Sie, ob die Lieferadresse der Bestellung stimmt.", "Wenn sich die Sendungsverfolgung mehrere Tage nicht bewegt, melden Sie sich mit der Bestellung bei uns."],
    fr: ["Ouvrez le lien de suivi dans votre e-mail de confirmation d'expédition.", "Vérifiez que l'adresse de livraison de la commande est correcte.", "Si le suivi n'a pas bougé depuis plusieurs jours, contactez-nous avec la commande."],
    es: ["Abra el enlace de seguimiento del correo de confirmación de envío.", "Compruebe que la dirección de entrega del pedido es correcta.", "Si el seguimiento no avanza en varios días, contáctenos con el pedido."],
  },
  "delivery.need": { en: "your tracking number", de: "Ihrer Sendungsnummer", fr: "votre numéro de suivi", es: "su número de seguimiento" },
  "general.direct": {
    en: "Here is what to do about {s}.",
    de: "So gehen Sie bei {s} vor.",
    fr: "Voici que faire pour {s}.",
    es: "Esto es lo que puede hacer con {s}.",
  },
  "general.steps": {
    en: ["Write down what you expected from {s} and what happened instead.", "Check whether anything changed recently around {s}.", "Try the step again and note exactly where it differs."],
    de: ["Notieren Sie, was Sie bei {s} erwartet haben und was stattdessen passiert ist.", "Prüfen Sie, ob sich bei {s} kürzlich etwas geändert hat.", "Wiederholen Sie den Schritt und notieren Sie genau, wo es abweicht."],
    fr: ["Notez ce que vous attendiez de {s} et ce qui s'est passé à la place.", "Vérifiez si quelque chose a changé récemment autour de {s}.", "Refaites l'étape et notez exactement où cela diffère."],
    es: ["Anote qué esperaba de {s} y qué ocurrió en su lugar.", "Compruebe si algo cambió hace poco en {s}.", "Repita el paso y anote exactamente dónde difiere."],
  },
  "general.need": { en: "what you tried and what you saw", de: "dem, was Sie versucht und gesehen haben", fr: "ce que vous avez essayé et ce que vous avez vu", es: "lo que intentó y lo que vio" },
  "this": { en: "this", de: "dem", fr: "cela", es: "esto" },
  // ---- chat ----
  "chat.asked": { en: "You asked about {topic}.", de: "Sie haben nach {topic} gefragt.", fr: "Vous avez posé une question sur {topic}.", es: "Ha preguntado por {topic}." },
  "chat.points": { en: "The key points in your message:", de: "Die wichtigsten Punkte Ihrer Nachricht:", fr: "Les points clés de votre message :", es: "Los puntos clave de su mensaje:" },
  "chat.offline": {
    en: "I am an offline model: I answer from approved examples of your organization, and none matched {kw} closely enough. Approve an answer for a similar question and I will use it next time.",
    de: "Ich bin ein Offline-Modell: Ich antworte aus freigegebenen Beispielen Ihrer Organisation, und keines passte gut genug zu {kw}. Geben Sie eine Antwort auf eine ähnliche Frage frei, dann verwende ich sie beim nächsten Mal.",
    fr: "Je suis un modèle hors ligne : je réponds à partir des exemples approuvés de votre organisation, et aucun ne correspondait assez à {kw}. Approuvez une réponse à une question similaire et je l'utiliserai la prochaine fois.",
    es: "Soy un modelo sin conexión: respondo a partir de ejemplos aprobados de su organización y ninguno coincidía lo suficiente con {kw}. Apruebe una respuesta a una pregunta similar y la usaré la próxima vez.",
  },
  "chat.this-message": { en: "this message", de: "dieser Nachricht", fr: "ce message", es: "este mensaje" },
} satisfies Record<string, Entry>;

export type PhraseKey = keyof typeof CATALOG;

function fill(template: string, vars: Record<string, string>): string {
  return template.replace(/\{(\w+)\}/g, (m, k: string) => (k in vars ? vars[k]! : m));
}

/** One phrase in a language; for a phrase with variants, `seed` picks one stably. */
export function say(lang: Language, key: PhraseKey, vars: Record<string, string> = {}, seed = ""): string {
  const v = (CATALOG[key] as Entry)[lang];
  const text = typeof v === "string" ? v : v[hashIndex(seed, v.length)]!;
  return fill(text, vars);
}

/** Every variant of a list phrase (playbook steps), filled. */
export function sayAll(lang: Language, key: PhraseKey, vars: Record<string, string> = {}): string[] {
  const v = (CATALOG[key] as Entry)[lang];
  return (typeof v === "string" ? [v] : [...v]).map((t) => fill(t, vars));
}

function hashIndex(seed: string, n: number): number {
  return hash(seed) % n;
}

// ---- English register: the formal and friendly tones differ in contractions and exclamations ----

const CONTRACTIONS: Array<[RegExp, string]> = [
  [/\bdo not\b/g, "don't"],
  [/\bDo not\b/g, "Don't"],
  [/\bdoes not\b/g, "doesn't"],
  [/\bcannot\b/g, "can't"],
  [/\bwill not\b/g, "won't"],
  [/\bit is\b/g, "it's"],
  [/\bIt is\b/g, "It's"],
  [/\bwe will\b/g, "we'll"],
  [/\bWe will\b/g, "We'll"],
  [/\byou are\b/g, "you're"],
  [/\bYou are\b/g, "You're"],
  [/\bI am\b/g, "I'm"],
  [/\bhas not\b/g, "hasn't"],
  [/\bhave not\b/g, "haven't"],
  [/\bis not\b/g, "isn't"],
];

const EXPANSIONS: Array<[RegExp, string]> = [
  [/\bdon't\b/g, "do not"],
  [/\bDon't\b/g, "Do not"],
  [/\bdoesn't\b/g, "does not"],
  [/\bcan't\b/g, "cannot"],
  [/\bCan't\b/g, "Cannot"],
  [/\bwon't\b/g, "will not"],
  [/\bit's\b/g, "it is"],
  [/\bIt's\b/g, "It is"],
  [/\bwe'll\b/g, "we will"],
  [/\bWe'll\b/g, "We will"],
  [/\byou're\b/g, "you are"],
  [/\bYou're\b/g, "You are"],
  [/\bI'm\b/g, "I am"],
  [/\bhasn't\b/g, "has not"],
  [/\bhaven't\b/g, "have not"],
  [/\bisn't\b/g, "is not"],
  [/\bthat's\b/g, "that is"],
  [/\bThat's\b/g, "That is"],
];

export function contract(text: string): string {
  return CONTRACTIONS.reduce((t, [re, r]) => t.replace(re, r), text);
}

/** Formal register: no contractions, no exclamation marks. */
export function formalize(text: string): string {
  return EXPANSIONS.reduce((t, [re, r]) => t.replace(re, r), text.replace(/[’]/g, "'")).replace(/!(?=\s|$)/g, ".");
}
