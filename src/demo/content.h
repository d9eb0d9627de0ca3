// The vocabulary of the demo data: people, places, case subjects and survey comments in the five
// languages touchpoint serves (Czech, Slovak, Polish, Slovenian, English), and the shape of a retail
// business's touchpoints. Internal to the demo module; demo.cc decides how often each thing occurs.
#pragma once

#include <array>
#include <span>
#include <string_view>

namespace tp::demo {

inline constexpr size_t kLanguageCount = 5;

struct Language {
  std::string_view code;
  int weight;  // share of customers, in percent
  std::string_view phone_prefix;
  // National mobile numbers: one of these leading groups, then random digits up to `phone_digits`.
  std::span<const std::string_view> phone_leads;
  int phone_digits;
  std::span<const std::string_view> male_first_names;
  std::span<const std::string_view> female_first_names;
  // Surnames by gender at the same index (Nováková is the female form of Novák).
  std::span<const std::string_view> male_surnames;
  std::span<const std::string_view> female_surnames;
  std::span<const std::string_view> cities;
  std::span<const std::string_view> email_domains;
};

namespace content {
constexpr std::string_view kCzPhone[] = {"60", "72", "73", "77", "605", "608", "702", "739"};
constexpr std::string_view kCzMale[] = {"Jan",    "Petr",  "Tomáš", "Martin", "Jakub",   "Lukáš",
                                        "Ondřej", "Jiří",  "Pavel", "Michal", "Vojtěch", "David"};
constexpr std::string_view kCzFemale[] = {"Jana",     "Eva",   "Hana",    "Lucie",  "Tereza", "Kateřina",
                                          "Petra",    "Veronika", "Markéta", "Barbora", "Lenka",  "Zuzana"};
constexpr std::string_view kCzMaleSurnames[] = {"Novák", "Svoboda", "Novotný", "Dvořák", "Černý", "Procházka",
                                                "Kučera", "Veselý", "Horák",   "Němec",  "Pokorný", "Marek"};
constexpr std::string_view kCzFemaleSurnames[] = {"Nováková", "Svobodová", "Novotná", "Dvořáková",
                                                  "Černá",    "Procházková", "Kučerová", "Veselá",
                                                  "Horáková", "Němcová",   "Pokorná", "Marková"};
constexpr std::string_view kCzCities[] = {"Praha",   "Brno",    "Ostrava",          "Plzeň",
                                          "Olomouc", "Liberec", "České Budějovice", "Hradec Králové"};
constexpr std::string_view kCzDomains[] = {"seznam.cz", "email.cz", "centrum.cz", "gmail.com", "post.cz"};

constexpr std::string_view kSkPhone[] = {"90", "91", "94", "95"};
constexpr std::string_view kSkMale[] = {"Marek", "Peter", "Martin", "Michal", "Tomáš",
                                        "Lukáš", "Juraj", "Ján",    "Matej",  "Róbert"};
constexpr std::string_view kSkFemale[] = {"Zuzana",  "Katarína", "Lucia",   "Mária",  "Jana",
                                          "Martina", "Veronika", "Simona",  "Ivana",  "Dominika"};
constexpr std::string_view kSkMaleSurnames[] = {"Horváth", "Kováč",  "Varga",  "Tóth",  "Nagy",
                                                "Baláž",   "Szabó",  "Molnár", "Lukáč", "Oravec"};
constexpr std::string_view kSkFemaleSurnames[] = {"Horváthová", "Kováčová", "Vargová",   "Tóthová",  "Nagyová",
                                                  "Balážová",   "Szabóová", "Molnárová", "Lukáčová", "Oravcová"};
constexpr std::string_view kSkCities[] = {"Bratislava", "Košice", "Prešov",  "Žilina",
                                          "Nitra",      "Banská Bystrica", "Trnava", "Trenčín"};
constexpr std::string_view kSkDomains[] = {"azet.sk", "zoznam.sk", "gmail.com", "centrum.sk", "post.sk"};

constexpr std::string_view kPlPhone[] = {"5", "6", "7", "8"};
constexpr std::string_view kPlMale[] = {"Piotr",  "Krzysztof", "Andrzej", "Tomasz", "Paweł",
                                        "Michał", "Marcin",    "Łukasz",  "Jakub",  "Wojciech"};
constexpr std::string_view kPlFemale[] = {"Anna",       "Katarzyna",  "Małgorzata", "Agnieszka", "Magdalena",
                                          "Joanna",     "Aleksandra", "Zofia",      "Monika",    "Ewa"};
constexpr std::string_view kPlMaleSurnames[] = {"Nowak",     "Kowalski",    "Wiśniewski", "Wójcik",     "Kowalczyk",
                                                "Kamiński",  "Lewandowski", "Zieliński",  "Szymański",  "Woźniak"};
constexpr std::string_view kPlFemaleSurnames[] = {"Nowak",    "Kowalska",    "Wiśniewska", "Wójcik",    "Kowalczyk",
                                                  "Kamińska", "Lewandowska", "Zielińska",  "Szymańska", "Woźniak"};
constexpr std::string_view kPlCities[] = {"Warszawa", "Kraków", "Wrocław",  "Gdańsk",
                                          "Poznań",   "Łódź",   "Katowice", "Lublin"};
constexpr std::string_view kPlDomains[] = {"wp.pl", "onet.pl", "o2.pl", "interia.pl", "gmail.com"};

constexpr std::string_view kSiPhone[] = {"30", "31", "40", "41", "51", "64", "68", "70", "71"};
constexpr std::string_view kSiMale[] = {"Luka",   "Marko", "Matej",  "Jure",  "Rok",
                                        "Andrej", "Aleš",  "Gregor", "Tomaž", "Žiga"};
constexpr std::string_view kSiFemale[] = {"Maja",  "Ana",  "Nina",  "Eva",   "Mojca",
                                          "Petra", "Tina", "Urška", "Špela", "Katja"};
constexpr std::string_view kSiSurnames[] = {"Novak",     "Horvat",    "Kovačič", "Krajnc",  "Zupančič",
                                            "Potočnik",  "Kovač",     "Mlakar",  "Vidmar",  "Golob"};
constexpr std::string_view kSiCities[] = {"Ljubljana", "Maribor", "Celje", "Kranj", "Koper", "Novo mesto", "Velenje"};
constexpr std::string_view kSiDomains[] = {"gmail.com", "siol.net", "t-2.net", "amis.net", "guest.arnes.si"};

constexpr std::string_view kEnPhone[] = {"7"};
constexpr std::string_view kEnMale[] = {"James", "Oliver", "Thomas", "William", "Daniel",
                                        "George", "Harry", "Jack",   "Samuel",  "Matthew"};
constexpr std::string_view kEnFemale[] = {"Emma",  "Olivia", "Sophie", "Charlotte", "Emily",
                                          "Grace", "Lucy",   "Hannah", "Amelia",    "Jessica"};
constexpr std::string_view kEnSurnames[] = {"Smith",  "Jones",  "Taylor",  "Brown",    "Williams",
                                            "Wilson", "Johnson", "Davies", "Robinson", "Wright"};
constexpr std::string_view kEnCities[] = {"London", "Manchester", "Birmingham", "Bristol", "Leeds", "Edinburgh"};
constexpr std::string_view kEnDomains[] = {"gmail.com", "outlook.com", "yahoo.co.uk", "hotmail.co.uk", "icloud.com"};
}  // namespace content

inline constexpr std::array<Language, kLanguageCount> kLanguages = {{
    {"cs", 40, "+420", content::kCzPhone, 9, content::kCzMale, content::kCzFemale, content::kCzMaleSurnames,
     content::kCzFemaleSurnames, content::kCzCities, content::kCzDomains},
    {"sk", 20, "+421", content::kSkPhone, 9, content::kSkMale, content::kSkFemale, content::kSkMaleSurnames,
     content::kSkFemaleSurnames, content::kSkCities, content::kSkDomains},
    {"pl", 20, "+48", content::kPlPhone, 9, content::kPlMale, content::kPlFemale, content::kPlMaleSurnames,
     content::kPlFemaleSurnames, content::kPlCities, content::kPlDomains},
    {"sl", 10, "+386", content::kSiPhone, 8, content::kSiMale, content::kSiFemale, content::kSiSurnames,
     content::kSiSurnames, content::kSiCities, content::kSiDomains},
    {"en", 10, "+44", content::kEnPhone, 10, content::kEnMale, content::kEnFemale, content::kEnSurnames,
     content::kEnSurnames, content::kEnCities, content::kEnDomains},
}};

// Which team owns a kind of case.
enum class Department { kMarketing, kSales, kService, kIt };

// A reason customers get in touch. Subjects are per language (kLanguages order); "{order}" becomes an
// order or invoice number.
struct CaseTopic {
  int weight;
  Department department;
  bool pressing;  // damaged goods, faulty products, failed payments: more often high or urgent
  std::array<std::string_view, kLanguageCount> subjects;
};

inline constexpr std::array<CaseTopic, 12> kCaseTopics = {{
    {20, Department::kService, false,
     {"Objednávka #{order} stále nedorazila", "Objednávka #{order} stále neprišla",
      "Zamówienie #{order} wciąż nie dotarło", "Naročilo #{order} še vedno ni prispelo",
      "Order #{order} still hasn't arrived"}},
    {12, Department::kService, false,
     {"Žádost o vrácení peněz za objednávku #{order}", "Žiadosť o vrátenie peňazí za objednávku #{order}",
      "Prośba o zwrot pieniędzy za zamówienie #{order}", "Zahteva za vračilo denarja za naročilo #{order}",
      "Refund request for order #{order}"}},
    {10, Department::kService, true,
     {"Poškozená zásilka – objednávka #{order}", "Poškodená zásielka – objednávka #{order}",
      "Uszkodzona przesyłka – zamówienie #{order}", "Poškodovana pošiljka – naročilo #{order}",
      "Damaged parcel – order #{order}"}},
    {8, Department::kSales, false,
     {"Dotaz k faktuře #{order}", "Otázka k faktúre #{order}", "Pytanie dotyczące faktury #{order}",
      "Vprašanje glede računa #{order}", "Question about invoice #{order}"}},
    {7, Department::kIt, false,
     {"Nemohu se přihlásit – reset hesla", "Neviem sa prihlásiť – obnovenie hesla",
      "Nie mogę się zalogować – reset hasła", "Ne morem se prijaviti – ponastavitev gesla",
      "Can't log in – password reset"}},
    {12, Department::kService, false,
     {"Vrácení zboží z objednávky #{order}", "Vrátenie tovaru z objednávky #{order}",
      "Zwrot towaru z zamówienia #{order}", "Vračilo blaga iz naročila #{order}",
      "Returning items from order #{order}"}},
    {7, Department::kService, false,
     {"Přišlo jiné zboží – objednávka #{order}", "Prišiel iný tovar – objednávka #{order}",
      "Otrzymałem inny produkt – zamówienie #{order}", "Prejel sem napačen izdelek – naročilo #{order}",
      "Wrong item delivered – order #{order}"}},
    {5, Department::kService, false,
     {"Změna doručovací adresy u objednávky #{order}", "Zmena doručovacej adresy pri objednávke #{order}",
      "Zmiana adresu dostawy dla zamówienia #{order}", "Sprememba naslova dostave za naročilo #{order}",
      "Change delivery address for order #{order}"}},
    {6, Department::kSales, false,
     {"Kdy bude zboží opět skladem?", "Kedy bude tovar opäť na sklade?", "Kiedy produkt będzie ponownie dostępny?",
      "Kdaj bo izdelek spet na zalogi?", "When will this be back in stock?"}},
    {3, Department::kMarketing, false,
     {"Odhlášení z newsletteru", "Odhlásenie z newslettera", "Rezygnacja z newslettera", "Odjava od e-novic",
      "Unsubscribe from the newsletter"}},
    {7, Department::kService, true,
     {"Reklamace – nefunkční výrobek z objednávky #{order}", "Reklamácia – nefunkčný výrobok z objednávky #{order}",
      "Reklamacja – wadliwy produkt z zamówienia #{order}", "Reklamacija – okvarjen izdelek iz naročila #{order}",
      "Warranty claim – faulty product from order #{order}"}},
    {3, Department::kIt, true,
     {"Platba kartou neprošla", "Platba kartou neprešla", "Płatność kartą nie przeszła",
      "Plačilo s kartico ni uspelo", "Card payment failed"}},
}};

// A touchpoint with how well it works: `quality` is the mean of the latent satisfaction (0..1) its
// answers are drawn from, `improvement` how much that mean rose over the demo period (a fix that
// shows up on a trend chart). Comments are per language, one for a good and one for a bad experience.
struct Touchpoint {
  std::string_view name;
  std::string_view survey_prefix;
  int weight;
  double quality;
  double improvement;
  std::array<std::string_view, kLanguageCount> praise;
  std::array<std::string_view, kLanguageCount> complaint;
};

inline constexpr std::array<Touchpoint, 6> kTouchpoints = {{
    {"website checkout", "checkout", 25, 0.82, 0.0,
     {"Objednávka na webu proběhla rychle a bez problémů.", "Objednávka cez web prebehla rýchlo a bez problémov.",
      "Zamówienie przez stronę poszło szybko i bez problemów.", "Naročilo prek spleta je bilo hitro in brez težav.",
      "Checkout on the website was quick and painless."},
     {"Pokladna na webu mi dvakrát spadla, než se objednávka odeslala.",
      "Pokladňa na webe mi dvakrát spadla, kým sa objednávka odoslala.",
      "Koszyk na stronie dwa razy się zawiesił, zanim zamówienie przeszło.",
      "Blagajna na spletni strani se je dvakrat sesula, preden je naročilo šlo skozi.",
      "The checkout page crashed twice before my order went through."}},
    {"delivery", "delivery", 25, 0.55, 0.12,
     {"Balík dorazil o den dřív, než bylo slíbeno.", "Balík prišiel o deň skôr, ako bolo sľúbené.",
      "Paczka dotarła dzień wcześniej, niż obiecano.", "Paket je prispel dan prej, kot je bilo obljubljeno.",
      "The parcel arrived a day earlier than promised."},
     {"Kurýr přijel o dva dny později a nikdo mi nedal vědět.",
      "Kuriér prišiel o dva dni neskôr a nikto mi nedal vedieť.",
      "Kurier przyjechał dwa dni później i nikt mnie nie poinformował.",
      "Kurir je prišel dva dni pozneje in nihče me ni obvestil.",
      "The courier came two days late and nobody let me know."}},
    {"call centre", "call-centre", 15, 0.68, 0.0,
     {"Paní na infolince mi ochotně poradila.", "Pani na linke mi ochotne poradila.",
      "Konsultantka na infolinii bardzo mi pomogła.", "Gospa v klicnem centru mi je prijazno pomagala.",
      "The lady on the helpline was really helpful."},
     {"Na lince jsem čekal přes dvacet minut.", "Na linke som čakal vyše dvadsať minút.",
      "Czekałem na infolinii ponad dwadzieścia minut.", "Na liniji sem čakal več kot dvajset minut.",
      "I waited more than twenty minutes on the phone."}},
    {"store", "store", 12, 0.80, 0.0,
     {"Příjemná obsluha na prodejně, vše jsem hned našla.", "Príjemná obsluha v predajni, všetko som hneď našla.",
      "Miła obsługa w sklepie, wszystko od razu znalazłam.", "Prijazno osebje v trgovini, vse sem takoj našla.",
      "Friendly staff in the store, found everything straight away."},
     {"Na prodejně nebylo zboží, které web ukazoval skladem.",
      "V predajni nebol tovar, ktorý web ukazoval na sklade.",
      "W sklepie nie było towaru, który strona pokazywała jako dostępny.",
      "V trgovini ni bilo izdelka, ki ga je spletna stran kazala kot na zalogi.",
      "The store didn't have the item the website showed as in stock."}},
    {"mobile app", "app", 13, 0.72, 0.05,
     {"Aplikace je přehledná a nákup v ní je pohodlný.", "Aplikácia je prehľadná a nakupovanie v nej je pohodlné.",
      "Aplikacja jest przejrzysta, a zakupy w niej są wygodne.", "Aplikacija je pregledna in nakupovanje je udobno.",
      "The app is clear and shopping in it is easy."},
     {"Aplikace se při platbě zasekla a musel jsem to zkusit znovu.",
      "Aplikácia sa pri platbe zasekla a musel som to skúsiť znova.",
      "Aplikacja zawiesiła się przy płatności i musiałem próbować jeszcze raz.",
      "Aplikacija se je pri plačilu zataknila in moral sem poskusiti znova.",
      "The app froze during payment and I had to try again."}},
    {"returns", "returns", 10, 0.52, 0.0,
     {"Vrácení zboží bylo jednoduché, peníze přišly do týdne.",
      "Vrátenie tovaru bolo jednoduché, peniaze prišli do týždňa.",
      "Zwrot był prosty, pieniądze wróciły w ciągu tygodnia.",
      "Vračilo je bilo preprosto, denar je prišel v enem tednu.",
      "Returning the item was easy and the refund came within a week."},
     {"Na vrácení peněz čekám už tři týdny.", "Na vrátenie peňazí čakám už tri týždne.",
      "Na zwrot pieniędzy czekam już trzy tygodnie.", "Na vračilo denarja čakam že tri tedne.",
      "I've been waiting three weeks for my refund."}},
}};

// Comments for answers that are neither good nor bad, per language.
inline constexpr std::array<std::array<std::string_view, 2>, kLanguageCount> kNeutralComments = {{
    {"Vcelku v pořádku.", "Nic zvláštního, splnilo to účel."},
    {"Celkom v poriadku.", "Nič zvláštne, splnilo to účel."},
    {"Ogólnie w porządku.", "Nic szczególnego, spełniło swoje zadanie."},
    {"Na splošno v redu.", "Nič posebnega, je opravilo svoje."},
    {"Fine overall.", "Nothing special, it did the job."},
}};

}  // namespace tp::demo
