/* fetch() with the CSRF header, a sign-in redirect on 401 and the server's Vietnamese message on errors. */
import { t } from "./i18n.js";
import { state } from "./state.js";

export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

export async function api(method, path, body) {
  const options = { method, credentials: "same-origin", headers: { Accept: "application/json" } };
  if (body !== undefined) {
    options.headers["Content-Type"] = "application/json";
    options.body = JSON.stringify(body);
  }
  if (method !== "GET") options.headers["X-CSRF-Token"] = state.csrf;
  let response;
  try {
    response = await fetch(path, options);
  } catch (error) {
    throw new ApiError(0, t("error.network"));
  }
  if (response.status === 401) {
    window.location.assign("/console/login");
    throw new ApiError(401, "");
  }
  let data = null;
  try {
    data = await response.json();
  } catch (error) {
    data = null;
  }
  if (!response.ok) {
    throw new ApiError(response.status, (data && data.message) || t("error.generic"));
  }
  return data;
}
