/* country.c - ISO 3166-1 alpha-2 codes and their English short names.
 *
 * One table of COUNTRY_SLOTS entries indexed by (A-'A')*26 + (B-'A'): a slot
 * holds the name of an assigned code and NULL otherwise, so lookups are an
 * index computation and one load, with no search and no hashing. The list
 * is the 249 officially assigned codes as Debian's iso-codes 4.15 publishes
 * them (its "common_name" where it gives one, e.g. "Bolivia"), plus the
 * user-assigned "ZZ" that downwatch uses for a report of unknown origin.
 * Names are UTF-8. */
#include "report/country.h"

#include <stddef.h>

/* Designator of the slot of the code "ab" (upper-case letters). */
#define AT(a, b) [((a) - 'A') * 26 + ((b) - 'A')]

static const char *const names[COUNTRY_SLOTS] = {
    AT('A', 'D') = "Andorra",
    AT('A', 'E') = "United Arab Emirates",
    AT('A', 'F') = "Afghanistan",
    AT('A', 'G') = "Antigua and Barbuda",
    AT('A', 'I') = "Anguilla",
    AT('A', 'L') = "Albania",
    AT('A', 'M') = "Armenia",
    AT('A', 'O') = "Angola",
    AT('A', 'Q') = "Antarctica",
    AT('A', 'R') = "Argentina",
    AT('A', 'S') = "American Samoa",
    AT('A', 'T') = "Austria",
    AT('A', 'U') = "Australia",
    AT('A', 'W') = "Aruba",
    AT('A', 'X') = "Åland Islands",
    AT('A', 'Z') = "Azerbaijan",
    AT('B', 'A') = "Bosnia and Herzegovina",
    AT('B', 'B') = "Barbados",
    AT('B', 'D') = "Bangladesh",
    AT('B', 'E') = "Belgium",
    AT('B', 'F') = "Burkina Faso",
    AT('B', 'G') = "Bulgaria",
    AT('B', 'H') = "Bahrain",
    AT('B', 'I') = "Burundi",
    AT('B', 'J') = "Benin",
    AT('B', 'L') = "Saint Barthélemy",
    AT('B', 'M') = "Bermuda",
    AT('B', 'N') = "Brunei Darussalam",
    AT('B', 'O') = "Bolivia",
    AT('B', 'Q') = "Bonaire, Sint Eustatius and Saba",
    AT('B', 'R') = "Brazil",
    AT('B', 'S') = "Bahamas",
    AT('B', 'T') = "Bhutan",
    AT('B', 'V') = "Bouvet Island",
    AT('B', 'W') = "Botswana",
    AT('B', 'Y') = "Belarus",
    AT('B', 'Z') = "Belize",
    AT('C', 'A') = "Canada",
    AT('C', 'C') = "Cocos (Keeling) Islands",
    AT('C', 'D') = "Congo, The Democratic Republic of the",
    AT('C', 'F') = "Central African Republic",
    AT('C', 'G') = "Congo",
    AT('C', 'H') = "Switzerland",
    AT('C', 'I') = "Côte d'Ivoire",
    AT('C', 'K') = "Cook Islands",
    AT('C', 'L') = "Chile",
    AT('C', 'M') = "Cameroon",
    AT('C', 'N') = "China",
    AT('C', 'O') = "Colombia",
    AT('C', 'R') = "Costa Rica",
    AT('C', 'U') = "Cuba",
    AT('C', 'V') = "Cabo Verde",
    AT('C', 'W') = "Curaçao",
    AT('C', 'X') = "Christmas Island",
    AT('C', 'Y') = "Cyprus",
    AT('C', 'Z') = "Czechia",
    AT('D', 'E') = "Germany",
    AT('D', 'J') = "Djibouti",
    AT('D', 'K') = "Denmark",
    AT('D', 'M') = "Dominica",
    AT('D', 'O') = "Dominican Republic",
    AT('D', 'Z') = "Algeria",
    AT('E', 'C') = "Ecuador",
    AT('E', 'E') = "Estonia",
    AT('E', 'G') = "Egypt",
    AT('E', 'H') = "Western Sahara",
    AT('E', 'R') = "Eritrea",
    AT('E', 'S') = "Spain",
    AT('E', 'T') = "Ethiopia",
    AT('F', 'I') = "Finland",
    AT('F', 'J') = "Fiji",
    AT('F', 'K') = "Falkland Islands (Malvinas)",
    AT('F', 'M') = "Micronesia, Federated States of",
    AT('F', 'O') = "Faroe Islands",
    AT('F', 'R') = "France",
    AT('G', 'A') = "Gabon",
    AT('G', 'B') = "United Kingdom",
    AT('G', 'D') = "Grenada",
    AT('G', 'E') = "Georgia",
    AT('G', 'F') = "French Guiana",
    AT('G', 'G') = "Guernsey",
    AT('G', 'H') = "Ghana",
    AT('G', 'I') = "Gibraltar",
    AT('G', 'L') = "Greenland",
    AT('G', 'M') = "Gambia",
    AT('G', 'N') = "Guinea",
    AT('G', 'P') = "Guadeloupe",
    AT('G', 'Q') = "Equatorial Guinea",
    AT('G', 'R') = "Greece",
    AT('G', 'S') = "South Georgia and the South Sandwich Islands",
    AT('G', 'T') = "Guatemala",
    AT('G', 'U') = "Guam",
    AT('G', 'W') = "Guinea-Bissau",
    AT('G', 'Y') = "Guyana",
    AT('H', 'K') = "Hong Kong",
    AT('H', 'M') = "Heard Island and McDonald Islands",
    AT('H', 'N') = "Honduras",
    AT('H', 'R') = "Croatia",
    AT('H', 'T') = "Haiti",
    AT('H', 'U') = "Hungary",
    AT('I', 'D') = "Indonesia",
    AT('I', 'E') = "Ireland",
    AT('I', 'L') = "Israel",
    AT('I', 'M') = "Isle of Man",
    AT('I', 'N') = "India",
    AT('I', 'O') = "British Indian Ocean Territory",
    AT('I', 'Q') = "Iraq",
    AT('I', 'R') = "Iran",
    AT('I', 'S') = "Iceland",
    AT('I', 'T') = "Italy",
    AT('J', 'E') = "Jersey",
    AT('J', 'M') = "Jamaica",
    AT('J', 'O') = "Jordan",
    AT('J', 'P') = "Japan",
    AT('K', 'E') = "Kenya",
    AT('K', 'G') = "Kyrgyzstan",
    AT('K', 'H') = "Cambodia",
    AT('K', 'I') = "Kiribati",
    AT('K', 'M') = "Comoros",
    AT('K', 'N') = "Saint Kitts and Nevis",
    AT('K', 'P') = "North Korea",
    AT('K', 'R') = "South Korea",
    AT('K', 'W') = "Kuwait",
    AT('K', 'Y') = "Cayman Islands",
    AT('K', 'Z') = "Kazakhstan",
    AT('L', 'A') = "Laos",
    AT('L', 'B') = "Lebanon",
    AT('L', 'C') = "Saint Lucia",
    AT('L', 'I') = "Liechtenstein",
    AT('L', 'K') = "Sri Lanka",
    AT('L', 'R') = "Liberia",
    AT('L', 'S') = "Lesotho",
    AT('L', 'T') = "Lithuania",
    AT('L', 'U') = "Luxembourg",
    AT('L', 'V') = "Latvia",
    AT('L', 'Y') = "Libya",
    AT('M', 'A') = "Morocco",
    AT('M', 'C') = "Monaco",
    AT('M', 'D') = "Moldova",
    AT('M', 'E') = "Montenegro",
    AT('M', 'F') = "Saint Martin (French part)",
    AT('M', 'G') = "Madagascar",
    AT('M', 'H') = "Marshall Islands",
    AT('M', 'K') = "North Macedonia",
    AT('M', 'L') = "Mali",
    AT('M', 'M') = "Myanmar",
    AT('M', 'N') = "Mongolia",
    AT('M', 'O') = "Macao",
    AT('M', 'P') = "Northern Mariana Islands",
    AT('M', 'Q') = "Martinique",
    AT('M', 'R') = "Mauritania",
    AT('M', 'S') = "Montserrat",
    AT('M', 'T') = "Malta",
    AT('M', 'U') = "Mauritius",
    AT('M', 'V') = "Maldives",
    AT('M', 'W') = "Malawi",
    AT('M', 'X') = "Mexico",
    AT('M', 'Y') = "Malaysia",
    AT('M', 'Z') = "Mozambique",
    AT('N', 'A') = "Namibia",
    AT('N', 'C') = "New Caledonia",
    AT('N', 'E') = "Niger",
    AT('N', 'F') = "Norfolk Island",
    AT('N', 'G') = "Nigeria",
    AT('N', 'I') = "Nicaragua",
    AT('N', 'L') = "Netherlands",
    AT('N', 'O') = "Norway",
    AT('N', 'P') = "Nepal",
    AT('N', 'R') = "Nauru",
    AT('N', 'U') = "Niue",
    AT('N', 'Z') = "New Zealand",
    AT('O', 'M') = "Oman",
    AT('P', 'A') = "Panama",
    AT('P', 'E') = "Peru",
    AT('P', 'F') = "French Polynesia",
    AT('P', 'G') = "Papua New Guinea",
    AT('P', 'H') = "Philippines",
    AT('P', 'K') = "Pakistan",
    AT('P', 'L') = "Poland",
    AT('P', 'M') = "Saint Pierre and Miquelon",
    AT('P', 'N') = "Pitcairn",
    AT('P', 'R') = "Puerto Rico",
    AT('P', 'S') = "Palestine, State of",
    AT('P', 'T') = "Portugal",
    AT('P', 'W') = "Palau",
    AT('P', 'Y') = "Paraguay",
    AT('Q', 'A') = "Qatar",
    AT('R', 'E') = "Réunion",
    AT('R', 'O') = "Romania",
    AT('R', 'S') = "Serbia",
    AT('R', 'U') = "Russian Federation",
    AT('R', 'W') = "Rwanda",
    AT('S', 'A') = "Saudi Arabia",
    AT('S', 'B') = "Solomon Islands",
    AT('S', 'C') = "Seychelles",
    AT('S', 'D') = "Sudan",
    AT('S', 'E') = "Sweden",
    AT('S', 'G') = "Singapore",
    AT('S', 'H') = "Saint Helena, Ascension and Tristan da Cunha",
    AT('S', 'I') = "Slovenia",
    AT('S', 'J') = "Svalbard and Jan Mayen",
    AT('S', 'K') = "Slovakia",
    AT('S', 'L') = "Sierra Leone",
    AT('S', 'M') = "San Marino",
    AT('S', 'N') = "Senegal",
    AT('S', 'O') = "Somalia",
    AT('S', 'R') = "Suriname",
    AT('S', 'S') = "South Sudan",
    AT('S', 'T') = "Sao Tome and Principe",
    AT('S', 'V') = "El Salvador",
    AT('S', 'X') = "Sint Maarten (Dutch part)",
    AT('S', 'Y') = "Syria",
    AT('S', 'Z') = "Eswatini",
    AT('T', 'C') = "Turks and Caicos Islands",
    AT('T', 'D') = "Chad",
    AT('T', 'F') = "French Southern Territories",
    AT('T', 'G') = "Togo",
    AT('T', 'H') = "Thailand",
    AT('T', 'J') = "Tajikistan",
    AT('T', 'K') = "Tokelau",
    AT('T', 'L') = "Timor-Leste",
    AT('T', 'M') = "Turkmenistan",
    AT('T', 'N') = "Tunisia",
    AT('T', 'O') = "Tonga",
    AT('T', 'R') = "Türkiye",
    AT('T', 'T') = "Trinidad and Tobago",
    AT('T', 'V') = "Tuvalu",
    AT('T', 'W') = "Taiwan",
    AT('T', 'Z') = "Tanzania",
    AT('U', 'A') = "Ukraine",
    AT('U', 'G') = "Uganda",
    AT('U', 'M') = "United States Minor Outlying Islands",
    AT('U', 'S') = "United States",
    AT('U', 'Y') = "Uruguay",
    AT('U', 'Z') = "Uzbekistan",
    AT('V', 'A') = "Holy See (Vatican City State)",
    AT('V', 'C') = "Saint Vincent and the Grenadines",
    AT('V', 'E') = "Venezuela",
    AT('V', 'G') = "Virgin Islands, British",
    AT('V', 'I') = "Virgin Islands, U.S.",
    AT('V', 'N') = "Vietnam",
    AT('V', 'U') = "Vanuatu",
    AT('W', 'F') = "Wallis and Futuna",
    AT('W', 'S') = "Samoa",
    AT('Y', 'E') = "Yemen",
    AT('Y', 'T') = "Mayotte",
    AT('Z', 'A') = "South Africa",
    AT('Z', 'M') = "Zambia",
    AT('Z', 'W') = "Zimbabwe",
    AT('Z', 'Z') = "Unknown",
};

/* 0..25 for an ASCII letter of either case, -1 for anything else. */
static int letter(char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a';
    return -1;
}

int country_index(const char *code2)
{
    int a = letter(code2[0]);
    if (a < 0)
        return -1;
    int b = letter(code2[1]);
    if (b < 0)
        return -1;
    int index = a * 26 + b;
    return names[index] ? index : -1;
}

const char *country_code(int index, char out[3])
{
    if (index < 0 || index >= COUNTRY_SLOTS) {
        out[0] = '\0';
        return out;
    }
    out[0] = (char)('A' + index / 26);
    out[1] = (char)('A' + index % 26);
    out[2] = '\0';
    return out;
}

int country_valid(int index)
{
    return index >= 0 && index < COUNTRY_SLOTS && names[index] != NULL;
}

const char *country_name(int index)
{
    return country_valid(index) ? names[index] : NULL;
}
