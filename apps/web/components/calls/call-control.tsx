import type { ReactNode } from "react";

const tones = {
  neutral: "bg-white/15 text-white hover:bg-white/25",
  active: "bg-white text-zinc-900 hover:bg-zinc-200",
  danger: "bg-rose-600 text-white hover:bg-rose-700",
  accept: "bg-emerald-600 text-white hover:bg-emerald-700",
} as const;

/** A round call control with its label under it; `pressed` marks toggles (mute, camera off). */
export function CallControl({
  label,
  caption,
  tone = "neutral",
  pressed,
  disabled,
  autoFocus,
  onClick,
  children,
}: {
  label: string;
  caption: string;
  tone?: keyof typeof tones;
  pressed?: boolean;
  disabled?: boolean;
  autoFocus?: boolean;
  onClick: () => void;
  children: ReactNode;
}) {
  return (
    <span className="flex w-16 flex-col items-center gap-1.5 md:w-20">
      <button
        type="button"
        aria-label={label}
        title={label}
        aria-pressed={pressed}
        disabled={disabled}
        autoFocus={autoFocus}
        onClick={onClick}
        className={`inline-flex size-14 items-center justify-center rounded-full transition-colors focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-white disabled:opacity-50 ${tones[tone]}`}
      >
        {children}
      </button>
      <span className="text-center text-xs leading-tight text-white/80" aria-hidden="true">
        {caption}
      </span>
    </span>
  );
}
