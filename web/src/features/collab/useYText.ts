import { useEffect, useState } from "react";
import type * as Y from "yjs";

/** The Y.Text's current string, re-rendering at most once per animation frame while people type. */
export function useYText(ytext: Y.Text | undefined): string {
  const [text, setText] = useState(() => ytext?.toString() ?? "");
  useEffect(() => {
    if (!ytext) return;
    setText(ytext.toString());
    let frame = 0;
    const onChange = () => {
      if (frame) return;
      frame = requestAnimationFrame(() => {
        frame = 0;
        setText(ytext.toString());
      });
    };
    ytext.observe(onChange);
    return () => {
      ytext.unobserve(onChange);
      if (frame) cancelAnimationFrame(frame);
    };
  }, [ytext]);
  return text;
}
