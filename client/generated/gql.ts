/* eslint-disable */
import * as types from './graphql.js';
import type { TypedDocumentNode as DocumentNode } from '@graphql-typed-document-node/core';

/**
 * Map of all GraphQL operations in the project.
 *
 * This map has several performance disadvantages:
 * 1. It is not tree-shakeable, so it will include all operations in the project.
 * 2. It is not minifiable, so the string of a GraphQL query will be multiple times inside the bundle.
 * 3. It does not support dead code elimination, so it will add unused operations.
 *
 * Therefore it is highly recommended to use the babel or swc plugin for production.
 * Learn more about it here: https://the-guild.dev/graphql/codegen/plugins/presets/preset-client#reducing-bundle-size
 */
type Documents = {
    "query CitiesAsTheyArrive($names: [String!]!) {\n  cities(names: $names) {\n    __typename\n    ... on City {\n      name\n      location {\n        name\n        country\n      }\n      ... @defer(label: \"weather\") {\n        weather {\n          __typename\n          ... on CityWeather {\n            temperatureC\n            conditions\n            stale\n          }\n          ... on WeatherError {\n            code\n            message\n          }\n        }\n      }\n    }\n    ... on CityError {\n      name\n      code\n      message\n    }\n  }\n}": typeof types.CitiesAsTheyArriveDocument,
    "mutation LogIn($username: String!, $password: String!) {\n  logIn(username: $username, password: $password) {\n    __typename\n    ... on AuthPayload {\n      token\n      user {\n        username\n        displayName\n        role\n      }\n    }\n    ... on InvalidCredentialsError {\n      message\n    }\n  }\n}": typeof types.LogInDocument,
    "query LatestPosts($first: Int = 10, $after: String) {\n  posts(first: $first, after: $after) {\n    totalCount\n    edges {\n      node {\n        id\n        title\n        createdAt\n        author {\n          username\n          displayName\n        }\n      }\n    }\n    pageInfo {\n      hasNextPage\n      endCursor\n    }\n  }\n}": typeof types.LatestPostsDocument,
    "subscription WatchWeather($cities: [String!]!) {\n  weatherUpdates(cities: $cities) {\n    __typename\n    ... on CityWeather {\n      city\n      temperatureC\n      windSpeedKmh\n      conditions\n      observedAt\n    }\n    ... on WeatherError {\n      city\n      code\n      message\n    }\n  }\n}": typeof types.WatchWeatherDocument,
    "query CurrentWeather($cities: [String!]!) {\n  weather(cities: $cities) {\n    __typename\n    ... on CityWeather {\n      city\n      temperatureC\n      windSpeedKmh\n      conditions\n      stale\n      location {\n        name\n        country\n      }\n    }\n    ... on WeatherError {\n      city\n      code\n      message\n    }\n  }\n}": typeof types.CurrentWeatherDocument,
};
const documents: Documents = {
    "query CitiesAsTheyArrive($names: [String!]!) {\n  cities(names: $names) {\n    __typename\n    ... on City {\n      name\n      location {\n        name\n        country\n      }\n      ... @defer(label: \"weather\") {\n        weather {\n          __typename\n          ... on CityWeather {\n            temperatureC\n            conditions\n            stale\n          }\n          ... on WeatherError {\n            code\n            message\n          }\n        }\n      }\n    }\n    ... on CityError {\n      name\n      code\n      message\n    }\n  }\n}": types.CitiesAsTheyArriveDocument,
    "mutation LogIn($username: String!, $password: String!) {\n  logIn(username: $username, password: $password) {\n    __typename\n    ... on AuthPayload {\n      token\n      user {\n        username\n        displayName\n        role\n      }\n    }\n    ... on InvalidCredentialsError {\n      message\n    }\n  }\n}": types.LogInDocument,
    "query LatestPosts($first: Int = 10, $after: String) {\n  posts(first: $first, after: $after) {\n    totalCount\n    edges {\n      node {\n        id\n        title\n        createdAt\n        author {\n          username\n          displayName\n        }\n      }\n    }\n    pageInfo {\n      hasNextPage\n      endCursor\n    }\n  }\n}": types.LatestPostsDocument,
    "subscription WatchWeather($cities: [String!]!) {\n  weatherUpdates(cities: $cities) {\n    __typename\n    ... on CityWeather {\n      city\n      temperatureC\n      windSpeedKmh\n      conditions\n      observedAt\n    }\n    ... on WeatherError {\n      city\n      code\n      message\n    }\n  }\n}": types.WatchWeatherDocument,
    "query CurrentWeather($cities: [String!]!) {\n  weather(cities: $cities) {\n    __typename\n    ... on CityWeather {\n      city\n      temperatureC\n      windSpeedKmh\n      conditions\n      stale\n      location {\n        name\n        country\n      }\n    }\n    ... on WeatherError {\n      city\n      code\n      message\n    }\n  }\n}": types.CurrentWeatherDocument,
};

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 *
 *
 * @example
 * ```ts
 * const query = graphql(`query GetUser($id: ID!) { user(id: $id) { name } }`);
 * ```
 *
 * The query argument is unknown!
 * Please regenerate the types.
 */
export function graphql(source: string): unknown;

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query CitiesAsTheyArrive($names: [String!]!) {\n  cities(names: $names) {\n    __typename\n    ... on City {\n      name\n      location {\n        name\n        country\n      }\n      ... @defer(label: \"weather\") {\n        weather {\n          __typename\n          ... on CityWeather {\n            temperatureC\n            conditions\n            stale\n          }\n          ... on WeatherError {\n            code\n            message\n          }\n        }\n      }\n    }\n    ... on CityError {\n      name\n      code\n      message\n    }\n  }\n}"): (typeof documents)["query CitiesAsTheyArrive($names: [String!]!) {\n  cities(names: $names) {\n    __typename\n    ... on City {\n      name\n      location {\n        name\n        country\n      }\n      ... @defer(label: \"weather\") {\n        weather {\n          __typename\n          ... on CityWeather {\n            temperatureC\n            conditions\n            stale\n          }\n          ... on WeatherError {\n            code\n            message\n          }\n        }\n      }\n    }\n    ... on CityError {\n      name\n      code\n      message\n    }\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation LogIn($username: String!, $password: String!) {\n  logIn(username: $username, password: $password) {\n    __typename\n    ... on AuthPayload {\n      token\n      user {\n        username\n        displayName\n        role\n      }\n    }\n    ... on InvalidCredentialsError {\n      message\n    }\n  }\n}"): (typeof documents)["mutation LogIn($username: String!, $password: String!) {\n  logIn(username: $username, password: $password) {\n    __typename\n    ... on AuthPayload {\n      token\n      user {\n        username\n        displayName\n        role\n      }\n    }\n    ... on InvalidCredentialsError {\n      message\n    }\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query LatestPosts($first: Int = 10, $after: String) {\n  posts(first: $first, after: $after) {\n    totalCount\n    edges {\n      node {\n        id\n        title\n        createdAt\n        author {\n          username\n          displayName\n        }\n      }\n    }\n    pageInfo {\n      hasNextPage\n      endCursor\n    }\n  }\n}"): (typeof documents)["query LatestPosts($first: Int = 10, $after: String) {\n  posts(first: $first, after: $after) {\n    totalCount\n    edges {\n      node {\n        id\n        title\n        createdAt\n        author {\n          username\n          displayName\n        }\n      }\n    }\n    pageInfo {\n      hasNextPage\n      endCursor\n    }\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "subscription WatchWeather($cities: [String!]!) {\n  weatherUpdates(cities: $cities) {\n    __typename\n    ... on CityWeather {\n      city\n      temperatureC\n      windSpeedKmh\n      conditions\n      observedAt\n    }\n    ... on WeatherError {\n      city\n      code\n      message\n    }\n  }\n}"): (typeof documents)["subscription WatchWeather($cities: [String!]!) {\n  weatherUpdates(cities: $cities) {\n    __typename\n    ... on CityWeather {\n      city\n      temperatureC\n      windSpeedKmh\n      conditions\n      observedAt\n    }\n    ... on WeatherError {\n      city\n      code\n      message\n    }\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query CurrentWeather($cities: [String!]!) {\n  weather(cities: $cities) {\n    __typename\n    ... on CityWeather {\n      city\n      temperatureC\n      windSpeedKmh\n      conditions\n      stale\n      location {\n        name\n        country\n      }\n    }\n    ... on WeatherError {\n      city\n      code\n      message\n    }\n  }\n}"): (typeof documents)["query CurrentWeather($cities: [String!]!) {\n  weather(cities: $cities) {\n    __typename\n    ... on CityWeather {\n      city\n      temperatureC\n      windSpeedKmh\n      conditions\n      stale\n      location {\n        name\n        country\n      }\n    }\n    ... on WeatherError {\n      city\n      code\n      message\n    }\n  }\n}"];

export function graphql(source: string) {
  return (documents as any)[source] ?? {};
}

export type DocumentType<TDocumentNode extends DocumentNode<any, any>> = TDocumentNode extends DocumentNode<  infer TType,  any>  ? TType  : never;