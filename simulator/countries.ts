import { createRequire } from 'node:module';

/** A country as REST Countries v5 describes it, limited to the fields the simulator serves. */
export interface SimCountry {
  names: { common: string; official: string; native: Record<string, { official: string; common: string }> };
  codes: { alpha_2: string; alpha_3: string | null };
  capitals: { name: string }[];
  region: string;
  /** "" where a territory has none, as the real data has it. */
  subregion: string;
  population: number;
  currencies: { code: string; name: string; symbol: string }[];
  languages: { name: string; iso639_3: string }[];
  flag: { emoji: string; url_png: string; url_svg: string };
}

/** A language, with the country's name in it when REST Countries lists one (`names.native`). */
type Language = [iso639_3: string, english: string, nativeOfficial?: string, nativeCommon?: string];

type Row = [
  alpha_2: string,
  common: string,
  official: string,
  capital: string[],
  region: string,
  subregion: string,
  population: number,
  currencies: [iso4217: string, name: string, symbol: string][],
  languages: Language[],
];

const EURO: [string, string, string][] = [['EUR', 'Euro', '€']];

// Real names, capitals, regions and currencies, with populations about as REST Countries had
// them: every country of SIM_CITIES, the synthetic XS of syntheticCity, and Antarctica,
// because the real data has entries whose capital, currencies and languages are empty.
const ROWS: Row[] = [
  [
    'DE',
    'Germany',
    'Federal Republic of Germany',
    ['Berlin'],
    'Europe',
    'Western Europe',
    83240525,
    EURO,
    [['deu', 'German', 'Bundesrepublik Deutschland', 'Deutschland']],
  ],
  ['FR', 'France', 'French Republic', ['Paris'], 'Europe', 'Western Europe', 66351959, EURO, [['fra', 'French', 'République française', 'France']]],
  [
    'GB',
    'United Kingdom',
    'United Kingdom of Great Britain and Northern Ireland',
    ['London'],
    'Europe',
    'Northern Europe',
    67215293,
    [['GBP', 'British pound', '£']],
    [['eng', 'English', 'United Kingdom of Great Britain and Northern Ireland', 'United Kingdom']],
  ],
  ['ES', 'Spain', 'Kingdom of Spain', ['Madrid'], 'Europe', 'Southern Europe', 47351567, EURO, [['spa', 'Spanish', 'Reino de España', 'España']]],
  ['IT', 'Italy', 'Italian Republic', ['Rome'], 'Europe', 'Southern Europe', 59554023, EURO, [['ita', 'Italian', 'Repubblica italiana', 'Italia']]],
  [
    'NL',
    'Netherlands',
    'Kingdom of the Netherlands',
    ['Amsterdam'],
    'Europe',
    'Western Europe',
    17441139,
    EURO,
    [['nld', 'Dutch', 'Koninkrijk der Nederlanden', 'Nederland']],
  ],
  [
    'AT',
    'Austria',
    'Republic of Austria',
    ['Vienna'],
    'Europe',
    'Central Europe',
    8917205,
    EURO,
    [['bar', 'Austro-Bavarian German', 'Republik Österreich', 'Österreich']],
  ],
  [
    'CH',
    'Switzerland',
    'Swiss Confederation',
    ['Bern'],
    'Europe',
    'Western Europe',
    8654622,
    [['CHF', 'Swiss franc', 'Fr.']],
    [
      ['fra', 'French', 'Confédération suisse', 'Suisse'],
      ['gsw', 'Swiss German', 'Schweizerische Eidgenossenschaft', 'Schweiz'],
      ['ita', 'Italian', 'Confederazione Svizzera', 'Svizzera'],
      ['roh', 'Romansh', 'Confederaziun svizra', 'Svizra'],
    ],
  ],
  [
    'SE',
    'Sweden',
    'Kingdom of Sweden',
    ['Stockholm'],
    'Europe',
    'Northern Europe',
    10353442,
    [['SEK', 'Swedish krona', 'kr']],
    [['swe', 'Swedish', 'Konungariket Sverige', 'Sverige']],
  ],
  [
    'NO',
    'Norway',
    'Kingdom of Norway',
    ['Oslo'],
    'Europe',
    'Northern Europe',
    5379475,
    [['NOK', 'Norwegian krone', 'kr']],
    [
      ['nno', 'Norwegian Nynorsk', 'Kongeriket Noreg', 'Noreg'],
      ['nob', 'Norwegian Bokmål', 'Kongeriket Norge', 'Norge'],
      ['smi', 'Sami', 'Norgga gonagasriika', 'Norgga'],
    ],
  ],
  [
    'DK',
    'Denmark',
    'Kingdom of Denmark',
    ['Copenhagen'],
    'Europe',
    'Northern Europe',
    5831404,
    [['DKK', 'Danish krone', 'kr']],
    [['dan', 'Danish', 'Kongeriget Danmark', 'Danmark']],
  ],
  [
    'FI',
    'Finland',
    'Republic of Finland',
    ['Helsinki'],
    'Europe',
    'Northern Europe',
    5530719,
    EURO,
    [
      ['fin', 'Finnish', 'Suomen tasavalta', 'Suomi'],
      ['swe', 'Swedish', 'Republiken Finland', 'Finland'],
    ],
  ],
  [
    'PL',
    'Poland',
    'Republic of Poland',
    ['Warsaw'],
    'Europe',
    'Central Europe',
    37950802,
    [['PLN', 'Polish złoty', 'zł']],
    [['pol', 'Polish', 'Rzeczpospolita Polska', 'Polska']],
  ],
  [
    'CZ',
    'Czechia',
    'Czech Republic',
    ['Prague'],
    'Europe',
    'Central Europe',
    10698896,
    [['CZK', 'Czech koruna', 'Kč']],
    [
      ['ces', 'Czech', 'Česká republika', 'Česko'],
      ['slk', 'Slovak', 'Česká republika', 'Česko'],
    ],
  ],
  [
    'PT',
    'Portugal',
    'Portuguese Republic',
    ['Lisbon'],
    'Europe',
    'Southern Europe',
    10305564,
    EURO,
    [['por', 'Portuguese', 'República português', 'Portugal']],
  ],
  [
    'IE',
    'Ireland',
    'Republic of Ireland',
    ['Dublin'],
    'Europe',
    'Northern Europe',
    4994724,
    EURO,
    [
      ['eng', 'English', 'Republic of Ireland', 'Ireland'],
      ['gle', 'Irish', 'Poblacht na hÉireann', 'Éire'],
    ],
  ],
  ['GR', 'Greece', 'Hellenic Republic', ['Athens'], 'Europe', 'Southern Europe', 10715549, EURO, [['ell', 'Greek', 'Ελληνική Δημοκρατία', 'Ελλάδα']]],
  [
    'TR',
    'Türkiye',
    'Republic of Türkiye',
    ['Ankara'],
    'Asia',
    'Western Asia',
    84339067,
    [['TRY', 'Turkish lira', '₺']],
    [['tur', 'Turkish', 'Türkiye Cumhuriyeti', 'Türkiye']],
  ],
  [
    'RU',
    'Russia',
    'Russian Federation',
    ['Moscow'],
    'Europe',
    'Eastern Europe',
    144104080,
    [['RUB', 'Russian ruble', '₽']],
    [['rus', 'Russian', 'Российская Федерация', 'Россия']],
  ],
  [
    'UA',
    'Ukraine',
    'Ukraine',
    ['Kyiv'],
    'Europe',
    'Eastern Europe',
    44134693,
    [['UAH', 'Ukrainian hryvnia', '₴']],
    [['ukr', 'Ukrainian', 'Україна', 'Україна']],
  ],
  [
    'IS',
    'Iceland',
    'Iceland',
    ['Reykjavik'],
    'Europe',
    'Northern Europe',
    366425,
    [['ISK', 'Icelandic króna', 'kr']],
    [['isl', 'Icelandic', 'Ísland', 'Ísland']],
  ],
  [
    'US',
    'United States',
    'United States of America',
    ['Washington, D.C.'],
    'Americas',
    'North America',
    329484123,
    [['USD', 'United States dollar', '$']],
    [['eng', 'English', 'United States of America', 'United States']],
  ],
  [
    'CA',
    'Canada',
    'Canada',
    ['Ottawa'],
    'Americas',
    'North America',
    38005238,
    [['CAD', 'Canadian dollar', '$']],
    [
      ['eng', 'English', 'Canada', 'Canada'],
      ['fra', 'French', 'Canada', 'Canada'],
    ],
  ],
  [
    'MX',
    'Mexico',
    'United Mexican States',
    ['Mexico City'],
    'Americas',
    'North America',
    128932753,
    [['MXN', 'Mexican peso', '$']],
    [['spa', 'Spanish', 'Estados Unidos Mexicanos', 'México']],
  ],
  [
    'BR',
    'Brazil',
    'Federative Republic of Brazil',
    ['Brasília'],
    'Americas',
    'South America',
    212559409,
    [['BRL', 'Brazilian real', 'R$']],
    [['por', 'Portuguese', 'República Federativa do Brasil', 'Brasil']],
  ],
  [
    'AR',
    'Argentina',
    'Argentine Republic',
    ['Buenos Aires'],
    'Americas',
    'South America',
    45376763,
    [['ARS', 'Argentine peso', '$']],
    [
      ['grn', 'Guaraní', 'Argentine Republic', 'Argentina'],
      ['spa', 'Spanish', 'República Argentina', 'Argentina'],
    ],
  ],
  [
    'PE',
    'Peru',
    'Republic of Peru',
    ['Lima'],
    'Americas',
    'South America',
    32971846,
    [['PEN', 'Peruvian sol', 'S/ ']],
    [
      ['aym', 'Aymara', 'Piruw Suyu', 'Piruw'],
      ['que', 'Quechua', 'Piruw Ripuwlika', 'Piruw'],
      ['spa', 'Spanish', 'República del Perú', 'Perú'],
    ],
  ],
  [
    'CO',
    'Colombia',
    'Republic of Colombia',
    ['Bogotá'],
    'Americas',
    'South America',
    50882884,
    [['COP', 'Colombian peso', '$']],
    [['spa', 'Spanish', 'República de Colombia', 'Colombia']],
  ],
  [
    'CL',
    'Chile',
    'Republic of Chile',
    ['Santiago'],
    'Americas',
    'South America',
    19116209,
    [['CLP', 'Chilean peso', '$']],
    [['spa', 'Spanish', 'República de Chile', 'Chile']],
  ],
  [
    'EG',
    'Egypt',
    'Arab Republic of Egypt',
    ['Cairo'],
    'Africa',
    'Northern Africa',
    102334403,
    [['EGP', 'Egyptian pound', '£']],
    [['ara', 'Arabic', 'جمهورية مصر العربية', 'مصر']],
  ],
  [
    'NG',
    'Nigeria',
    'Federal Republic of Nigeria',
    ['Abuja'],
    'Africa',
    'Western Africa',
    206139587,
    [['NGN', 'Nigerian naira', '₦']],
    [['eng', 'English', 'Federal Republic of Nigeria', 'Nigeria']],
  ],
  [
    'KE',
    'Kenya',
    'Republic of Kenya',
    ['Nairobi'],
    'Africa',
    'Eastern Africa',
    53771300,
    [['KES', 'Kenyan shilling', 'Sh']],
    [
      ['eng', 'English', 'Republic of Kenya', 'Kenya'],
      ['swa', 'Swahili', 'Republic of Kenya', 'Kenya'],
    ],
  ],
  [
    'ZA',
    'South Africa',
    'Republic of South Africa',
    ['Pretoria', 'Bloemfontein', 'Cape Town'],
    'Africa',
    'Southern Africa',
    59308690,
    [['ZAR', 'South African rand', 'R']],
    [
      ['afr', 'Afrikaans', 'Republiek van Suid-Afrika', 'South Africa'],
      ['eng', 'English', 'Republic of South Africa', 'South Africa'],
      ['nbl', 'Southern Ndebele'],
      ['nso', 'Northern Sotho'],
      ['sot', 'Southern Sotho'],
      ['ssw', 'Swazi'],
      ['tsn', 'Tswana'],
      ['tso', 'Tsonga'],
      ['ven', 'Venda'],
      ['xho', 'Xhosa', 'IRiphabliki yaseMzantsi Afrika', 'Mzantsi Afrika'],
      ['zul', 'Zulu', 'IRiphabliki yaseNingizimu Afrika', 'Ningizimu Afrika'],
    ],
  ],
  [
    'MA',
    'Morocco',
    'Kingdom of Morocco',
    ['Rabat'],
    'Africa',
    'Northern Africa',
    36910558,
    [['MAD', 'Moroccan dirham', 'د.م.']],
    [
      ['ara', 'Arabic', 'المملكة المغربية', 'المغرب'],
      ['ber', 'Berber', 'ⵜⴰⴳⵍⴷⵉⵜ ⵏ ⵍⵎⵖⵔⵉⴱ', 'ⵍⵎⴰⵖⵔⵉⴱ'],
    ],
  ],
  [
    'AE',
    'United Arab Emirates',
    'United Arab Emirates',
    ['Abu Dhabi'],
    'Asia',
    'Western Asia',
    9890400,
    [['AED', 'United Arab Emirates dirham', 'د.إ']],
    [['ara', 'Arabic', 'الإمارات العربية المتحدة', 'دولة الإمارات العربية المتحدة']],
  ],
  [
    'IN',
    'India',
    'Republic of India',
    ['New Delhi'],
    'Asia',
    'Southern Asia',
    1380004385,
    [['INR', 'Indian rupee', '₹']],
    [
      ['eng', 'English', 'Republic of India', 'India'],
      ['hin', 'Hindi', 'भारत गणराज्य', 'भारत'],
      ['tam', 'Tamil', 'இந்தியக் குடியரசு', 'இந்தியா'],
    ],
  ],
  [
    'TH',
    'Thailand',
    'Kingdom of Thailand',
    ['Bangkok'],
    'Asia',
    'South-Eastern Asia',
    69799978,
    [['THB', 'Thai baht', '฿']],
    [['tha', 'Thai', 'ราชอาณาจักรไทย', 'ประเทศไทย']],
  ],
  [
    'SG',
    'Singapore',
    'Republic of Singapore',
    ['Singapore'],
    'Asia',
    'South-Eastern Asia',
    5685807,
    [['SGD', 'Singapore dollar', '$']],
    [
      ['eng', 'English', 'Republic of Singapore', 'Singapore'],
      ['msa', 'Malay', 'Republik Singapura', 'Singapura'],
      ['tam', 'Tamil', 'சிங்கப்பூர் குடியரசு', 'சிங்கப்பூர்'],
      ['zho', 'Chinese', '新加坡共和国', '新加坡'],
    ],
  ],
  [
    'HK',
    'Hong Kong',
    "Hong Kong Special Administrative Region of the People's Republic of China",
    ['City of Victoria'],
    'Asia',
    'Eastern Asia',
    7500700,
    [['HKD', 'Hong Kong dollar', '$']],
    [
      ['eng', 'English', "Hong Kong Special Administrative Region of the People's Republic of China", 'Hong Kong'],
      ['zho', 'Chinese', '中华人民共和国香港特别行政区', '香港'],
    ],
  ],
  [
    'CN',
    'China',
    "People's Republic of China",
    ['Beijing'],
    'Asia',
    'Eastern Asia',
    1402112000,
    [['CNY', 'Chinese yuan', '¥']],
    [['zho', 'Chinese', '中华人民共和国', '中国']],
  ],
  [
    'KR',
    'South Korea',
    'Republic of Korea',
    ['Seoul'],
    'Asia',
    'Eastern Asia',
    51780579,
    [['KRW', 'South Korean won', '₩']],
    [['kor', 'Korean', '대한민국', '한국']],
  ],
  ['JP', 'Japan', 'Japan', ['Tokyo'], 'Asia', 'Eastern Asia', 123210000, [['JPY', 'Japanese yen', '¥']], [['jpn', 'Japanese', '日本', '日本']]],
  [
    'ID',
    'Indonesia',
    'Republic of Indonesia',
    ['Jakarta'],
    'Asia',
    'South-Eastern Asia',
    273523621,
    [['IDR', 'Indonesian rupiah', 'Rp']],
    [['ind', 'Indonesian', 'Republik Indonesia', 'Indonesia']],
  ],
  [
    'PH',
    'Philippines',
    'Republic of the Philippines',
    ['Manila'],
    'Asia',
    'South-Eastern Asia',
    109581085,
    [['PHP', 'Philippine peso', '₱']],
    [
      ['eng', 'English', 'Republic of the Philippines', 'Philippines'],
      ['fil', 'Filipino', 'Republic of the Philippines', 'Pilipinas'],
    ],
  ],
  [
    'AU',
    'Australia',
    'Commonwealth of Australia',
    ['Canberra'],
    'Oceania',
    'Australia and New Zealand',
    25687041,
    [['AUD', 'Australian dollar', '$']],
    [['eng', 'English', 'Commonwealth of Australia', 'Australia']],
  ],
  [
    'NZ',
    'New Zealand',
    'New Zealand',
    ['Wellington'],
    'Oceania',
    'Australia and New Zealand',
    5084300,
    [['NZD', 'New Zealand dollar', '$']],
    [
      ['eng', 'English', 'New Zealand', 'New Zealand'],
      ['mri', 'Māori', 'Aotearoa', 'Aotearoa'],
      ['nzs', 'New Zealand Sign Language', 'New Zealand', 'New Zealand'],
    ],
  ],
  // Made up, for syntheticCity's `Sim <n>` places; XS and XTS are codes ISO leaves for such uses.
  [
    'XS',
    'Simland',
    'Republic of Simland',
    ['Sim 0'],
    'Simulated',
    'Loopback',
    1000000,
    [['XTS', 'Test currency', '¤']],
    [['eng', 'English', 'Republic of Simland', 'Simland']],
  ],
  ['AQ', 'Antarctica', 'Antarctica', [], 'Antarctic', '', 1000, [], []],
];

/** The regional-indicator letters of a two-letter code: the flag emoji. */
function flagOf(code: string): string {
  return String.fromCodePoint(...[...code].map((letter) => 0x1f1e6 + letter.charCodeAt(0) - 65));
}

function flagObject(code: string): SimCountry['flag'] {
  const lower = code.toLowerCase();
  return { emoji: flagOf(code), url_png: `https://flagcdn.com/w320/${lower}.png`, url_svg: `https://flagcdn.com/${lower}.svg` };
}

function nativeNames(languages: Language[]): SimCountry['names']['native'] {
  return Object.fromEntries(
    languages.flatMap(([code, , official, common]) => (official === undefined || common === undefined ? [] : [[code, { official, common }]])),
  );
}

function fromRow([alpha_2, common, official, capital, region, subregion, population, currencies, languages]: Row, alpha_3: string | null): SimCountry {
  return {
    names: { common, official, native: nativeNames(languages) },
    codes: { alpha_2, alpha_3 },
    capitals: capital.map((name) => ({ name })),
    region,
    subregion,
    population,
    currencies: currencies.map(([code, name, symbol]) => ({ code, name, symbol })),
    languages: languages.map(([iso639_3, name]) => ({ name, iso639_3 })),
    flag: flagObject(alpha_2),
  };
}

/** The fields of a world-countries entry the simulator reads. */
interface WorldCountry {
  cca2: string;
  cca3: string;
  name: { common: string; official: string; native?: Record<string, { official: string; common: string }> };
  capital: string[];
  region: string;
  subregion: string;
  currencies: Record<string, { name: string; symbol?: string }>;
  languages: Record<string, string>;
}

/** A population for a country the table above does not list: made up (no real figure is at hand), but the same every run. */
function madeUpPopulation(code: string): number {
  return 10_000 + ((code.charCodeAt(0) * 7919 + code.charCodeAt(1) * 104_729) % 9_990_000);
}

function fromWorldCountries(entry: WorldCountry): SimCountry {
  return {
    names: { common: entry.name.common, official: entry.name.official, native: entry.name.native ?? {} },
    codes: { alpha_2: entry.cca2, alpha_3: entry.cca3 || null },
    capitals: entry.capital.map((name) => ({ name })),
    region: entry.region,
    subregion: entry.subregion,
    population: madeUpPopulation(entry.cca2),
    currencies: Object.entries(entry.currencies).map(([code, { name, symbol = '' }]) => ({ code, name, symbol })),
    languages: Object.entries(entry.languages).map(([iso639_3, name]) => ({ name, iso639_3 })),
    flag: flagObject(entry.cca2),
  };
}

/**
 * The countries the simulated REST Countries knows, in its order: the whole world as the
 * world-countries package lists it (REST Countries' data began as that dataset too), with the
 * rows above standing in for their countries (so that their populations are about real), and
 * the synthetic XS last. About 250, so that the whole list takes 3 pages of 100, as it does.
 */
export const SIM_COUNTRIES: readonly SimCountry[] = (() => {
  const world = createRequire(import.meta.url)('world-countries/countries.json') as WorldCountry[];
  const rows = new Map(ROWS.map((row) => [row[0], row]));
  const countries = world.map((entry) => {
    const row = rows.get(entry.cca2);
    rows.delete(entry.cca2);
    return row ? fromRow(row, entry.cca3) : fromWorldCountries(entry);
  });
  return [...countries, ...[...rows.values()].map((row) => fromRow(row, null))];
})();

const byCode = new Map(SIM_COUNTRIES.map((country) => [country.codes.alpha_2, country]));

/** The country with this ISO 3166-1 alpha-2 code, in any case. */
export function findCountry(code: string): SimCountry | undefined {
  return byCode.get(code.toUpperCase());
}
