import type { CaseStatus } from "@review/shared/domain/cases";
import type { Row } from "../../lib/rows.ts";

export type { CaseStatus };

/** flags: the suggestion's review flags, a JSON array the create/regenerate functions write. */
export type ImprovementCase = Row<"improvement_cases", { status: CaseStatus; flags: unknown[] }>;

export type CaseWithFeedback = ImprovementCase & { feedback: Pick<Row<"feedback">, "rating" | "comment" | "labels" | "model"> | null };

export type Comment = Row<"comments">;
