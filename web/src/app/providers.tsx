import type { ReactNode } from "react";
import { QueryClient, QueryClientProvider, MutationCache } from "@tanstack/react-query";
import { Tooltip } from "radix-ui";
import { Toaster, toast } from "../components/ui/toast.tsx";
import { messageOf } from "../lib/errors.ts";

export const queryClient = new QueryClient({
  defaultOptions: {
    queries: {
      retry: (count, err) => count < 2 && !/permission|not allowed|jwt|401|403/i.test(messageOf(err)),
      refetchOnWindowFocus: false,
    },
  },
  // Mutations that show their own errors set meta.silent; everything else gets a toast.
  mutationCache: new MutationCache({
    onError: (err, _v, _c, mutation) => {
      if (!mutation.meta?.silent && !mutation.options.onError) toast.error("That did not work", messageOf(err));
    },
  }),
});

export function Providers({ children }: { children: ReactNode }) {
  return (
    <QueryClientProvider client={queryClient}>
      <Tooltip.Provider delayDuration={300}>
        {children}
        <Toaster />
      </Tooltip.Provider>
    </QueryClientProvider>
  );
}
