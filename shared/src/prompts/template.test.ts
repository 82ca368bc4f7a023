import { describe, expect, it } from "vitest";
import { checkVariables, extractVariables, renderTemplate, TemplateError } from "./template.ts";

describe("prompt templates", () => {
  it("finds placeholders once each, with or without spaces", () => {
    expect(extractVariables("Q: {{query}} A: {{ bad_answer }} again {{query}}")).toEqual(["query", "bad_answer"]);
  });

  it("reports undeclared, unused and duplicate variables", () => {
    const problems = checkVariables(
      [{ name: "query", type: "string" }, { name: "tone", type: "string" }, { name: "query", type: "string" }],
      "{{query}} {{bad_answer}}",
    );
    expect(problems).toContainEqual({ variable: "bad_answer", problem: "undeclared" });
    expect(problems).toContainEqual({ variable: "tone", problem: "unused" });
    expect(problems).toContainEqual({ variable: "query", problem: "duplicate" });
  });

  it("renders values and refuses missing or mistyped ones", () => {
    expect(renderTemplate("Hi {{name}}, {{n}} items", { name: "Ada", n: 3 })).toBe("Hi Ada, 3 items");
    expect(() => renderTemplate("Hi {{name}}", {})).toThrow(TemplateError);
    expect(() => renderTemplate("{{n}}", { n: "3" }, [{ name: "n", type: "number" }])).toThrow(/wrong type: n/);
  });
});
