/** The colour theme: the system's, or light or dark whatever the system says. Kept in this browser only. */
export type ThemePreference = "system" | "light" | "dark";

export const themePreferences: readonly ThemePreference[] = ["system", "light", "dark"];

const storageKey = "parley-theme";

function isThemePreference(value: unknown): value is ThemePreference {
  return value === "system" || value === "light" || value === "dark";
}

export function readThemePreference(): ThemePreference {
  try {
    const stored = window.localStorage.getItem(storageKey);
    return isThemePreference(stored) ? stored : "system";
  } catch {
    return "system";
  }
}

/** Sets `data-theme` on <html> (the `dark:` variant reads it) and remembers the choice. */
export function applyThemePreference(preference: ThemePreference): void {
  try {
    window.localStorage.setItem(storageKey, preference);
  } catch {
    // Private windows may refuse storage: the theme still applies to this page.
  }
  const dark = preference === "dark" || (preference === "system" && window.matchMedia("(prefers-color-scheme: dark)").matches);
  document.documentElement.dataset.theme = dark ? "dark" : "light";
  document.documentElement.style.colorScheme = dark ? "dark" : "light";
}

/**
 * Runs in <head> before the page paints (inline, with the response's CSP nonce), so a dark
 * theme never flashes light; it also follows the system while the preference is "system".
 */
export const themeBootScript = `(() => {
  const key = ${JSON.stringify(storageKey)};
  const query = window.matchMedia("(prefers-color-scheme: dark)");
  const apply = () => {
    let preference = "system";
    try { preference = localStorage.getItem(key) || "system"; } catch {}
    const dark = preference === "dark" || (preference !== "light" && query.matches);
    document.documentElement.dataset.theme = dark ? "dark" : "light";
    document.documentElement.style.colorScheme = dark ? "dark" : "light";
  };
  apply();
  query.addEventListener("change", apply);
  window.addEventListener("storage", (event) => { if (event.key === key) apply(); });
})();`;
