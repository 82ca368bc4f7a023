export type Json =
  | string
  | number
  | boolean
  | null
  | { [key: string]: Json | undefined }
  | Json[]

export type Database = {
  public: {
    Tables: {
      adjudications: {
        Row: {
          created_at: string
          decided_by: string | null
          id: string
          item_id: string
          org_id: string
          queue_id: string
          reason: string
          score_config_id: string
          updated_at: string
          value: NonNullable<Json>
        }
        Insert: {
          created_at?: string
          decided_by?: string | null
          id?: string
          item_id: string
          org_id: string
          queue_id: string
          reason: string
          score_config_id: string
          updated_at?: string
          value: NonNullable<Json>
        }
        Update: {
          created_at?: string
          decided_by?: string | null
          id?: string
          item_id?: string
          org_id?: string
          queue_id?: string
          reason?: string
          score_config_id?: string
          updated_at?: string
          value?: NonNullable<Json>
        }
        Relationships: [
          {
            foreignKeyName: "adjudications_org_id_fkey"
            columns: ["org_id"]
            referencedRelation: "organizations"
            referencedColumns: ["id"]
          },
          {
            foreignKeyName: "adjudications_org_id_item_id_fkey"
            columns: ["org_id", "item_id"]
            referencedRelation: "review_items"
            referencedColumns: ["org_id", "id"]
          },
          {
            foreignKeyName: "adjudications_org_id_queue_id_fkey"
            columns: ["org_id", "queue_id"]
            referencedRelation: "review_queues"
            referencedColumns: ["org_id", "id"]
          },
          {
            foreignKeyName: "adjudications_org_id_score_config_id_fkey"
            columns: ["org_id", "score_config_id"]
            referencedRelation: "score_configs"
            referencedColumns: ["org_id", "id"]
          },
        ]
      }
      ai_requests: {
        Row: {
          cost_usd: number
          created_at: string
          error: string | null
          flags: NonNullable<Json>
          function_name: string
          id: string
          input_text: string | null
          input_tokens: number
          latency_ms: number
          model: string
          org_id: string
          output_text: string | null
          output_tokens: number
          prompt_version_id: string | null
          status: string
          trace_id: string | null
          user_id: string | null
        }
        Insert: {
          cost_usd?: number
          created_at?: string
          error?: string | null
          flags?: NonNullable<Json>
          function_name: string
          id?: string
          input_text?: string | null
          input_tokens?: number
          latency_ms?: number
          model: string
          org_id: string
          output_text?: string | null
          output_tokens?: number
          prompt_version_id?: string | null
          status: string
          trace_id?: string | null
          user_id?: string | null
        }
        Update: {
          cost_usd?: number
          created_at?: string
          error?: string | null
          flags?: NonNullable<Json>
          function_name?: string
          id?: string
          input_text?: string | null
          input_tokens?: number
          latency_ms?: number
          model?: string
          org_id?: string
          output_text?: string | null
          output_tokens?: number
          prompt_version_id?: string | null
          status?: string
          trace_id?: string | null
          user_id?: string | null
        }
        Relationships: [
          {
            foreignKeyName: "ai_requests_org_id_fkey"
            columns: ["org_id"]
            referencedRelation: "organizations"
            referencedColumns: ["id"]
          },
          {
            foreignKeyName: "ai_requests_org_id_prompt_version_id_fkey"
            columns: ["org_id", "prompt_version_id"]
            referencedRelation: "prompt_versions"
            referencedColumns: ["org_id", "id"]
          },
        ]
      }
      ai_usage_daily: {
        Row: {
          cost_usd: number
          day: string
          errors: number
          function_name: string
          input_tokens: number
          latency_hist: number[]
          latency_ms_sum: number
          model: string
          org_id: string
          output_tokens: number
          requests: number
        }
        Insert: {
          cost_usd?: number
          day: string
          errors?: number
          function_name: string
          input_tokens?: number
          latency_hist?: number[]
          latency_ms_sum?: number
          model: string
          org_id: string
          output_tokens?: number
          requests?: number
        }
        Update: {
          cost_usd?: number
          day?: string
          errors?: number
          function_name?: string
          input_tokens?: number
          latency_hist?: number[]
          latency_ms_sum?: number
          model?: string
          org_id?: string
          output_tokens?: number
          requests?: number
        }
        Relationships: [
          {
            foreignKeyName: "ai_usage_daily_org_id_fkey"
            columns: ["org_id"]
            referencedRelation: "organizations"
            referencedColumns: ["id"]
          },
        ]
      }
      alert_events: {
        Row: {
          actor_id: string | null
          alert_id: string
          created_at: string
          id: number
          kind: string
          note: string | null
          org_id: string
          sample: number | null
          value: number | null
        }
        Insert: {
          actor_id?: string | null
          alert_id: string
          created_at?: string
          id?: never
          kind: string
          note?: string | null
          org_id: string
          sample?: number | null
          value?: number | null
        }
        Update: {
          actor_id?: string | null
          alert_id?: string
          created_at?: string
          id?: never
          kind?: string
          note?: string | null
          org_id?: string
          sample?: number | null
          value?: number | null
        }
        Relationships: [
          {
            foreignKeyName: "alert_events_org_id_alert_id_fkey"
            columns: ["org_id", "alert_id"]
            referencedRelation: "alerts"
            referencedColumns: ["org_id", "id"]
          },
          {
            foreignKeyName: "alert_events_org_id_fkey"
            columns: ["org_id"]
            referencedRelation: "organizations"
            referencedColumns: ["id"]
          },
        ]
      }
      alert_rule_channels: {
        Row: {
          channel_id: string
          org_id: string
          rule_id: string
        }
        Insert: {
          channel_id: string
          org_id: string
          rule_id: string
        }
        Update: {
          channel_id?: string
          org_id?: string
          rule_id?: string
        }
        Relationships: [
          {
            foreignKeyName: "alert_rule_channels_org_id_channel_id_fkey"
            columns: ["org_id", "channel_id"]
            referencedRelation: "notification_channels"
            referencedColumns: ["org_id", "id"]
          },
          {
            foreignKeyName: "alert_rule_channels_org_id_fkey"
            columns: ["org_id"]
            referencedRelation: "organizations"
            referencedColumns: ["id"]
          },
          {
            foreignKeyName: "alert_rule_channels_org_id_rule_id_fkey"
            columns: ["org_id", "rule_id"]
            referencedRelation: "alert_rules"
            referencedColumns: ["org_id", "id"]
          },
        ]
      }
      alert_rules: {
        Row: {
          comparator: string
          created_at: string
          default_key: string | null
          enabled: boolean
          hysteresis_minutes: number
          id: string
          level: string
          metric: string
          min_sample: number
          name: string
          org_id: string
          scope: string
          scope_value: string | null
          threshold: number
          updated_at: string
          updated_by: string | null
          window_minutes: number
        }
        Insert: {
          comparator: string
          created_at?: string
          default_key?: string | null
          enabled?: boolean
          hysteresis_minutes?: number
          id?: string
          level?: string
          metric: string
          min_sample?: number
          name: string
          org_id: string
          scope?: string
          scope_value?: string | null
          threshold: number
          updated_at?: string
          updated_by?: string | null
          window_minutes?: number
        }
        Update: {
          comparator?: string
          created_at?: string
          default_key?: string | null
          enabled?: boolean
          hysteresis_minutes?: number
          id?: string
          level?: string
          metric?: string
          min_sample?: number
          name?: string
          org_id?: string
          scope?: string
          scope_value?: string | null
          threshold?: number
          updated_at?: string
          updated_by?: string | null
          window_minutes?: number
        }
        Relationships: [
          {
            foreignKeyName: "alert_rules_org_id_fkey"
            columns: ["org_id"]
            referencedRelation: "organizations"
            referencedColumns: ["id"]
          },
        ]
      }
      alerts: {
        Row: {
          ack_note: string | null
          acknowledged_at: string | null
          acknowledged_by: string | null
          clear_since: string | null
          comparator: string
          id: string
          last_evaluated_at: string
          last_sample: number | null
          last_value: number | null
          level: string
          link: string | null
          metric: string
          muted_until: string | null
          opened_at: string
          org_id: string
          resolved_at: string | null
          rule_id: string
          sample: number | null
          scope_key: string
          status: string
          threshold: number
          value: number | null
        }
        Insert: {
          ack_note?: string | null
          acknowledged_at?: string | null
          acknowledged_by?: string | null
          clear_since?: string | null
          comparator: string
          id?: string
          last_evaluated_at?: string
          last_sample?: number | null
          last_value?: number | null
          level: string
          link?: string | null
          metric: string
          muted_until?: string | null
          opened_at?: string
          org_id: string
          resolved_at?: string | null
          rule_id: string
          sample?: number | null
          scope_key?: string
          status?: string
          threshold: number
          value?: number | null
        }
        Update: {
          ack_note?: string | null
          acknowledged_at?: string | null
          acknowledged_by?: string | null
          clear_since?: string | null
          comparator?: string
          id?: string
          last_evaluated_at?: string
          last_sample?: number | null
          last_value?: number | null
          level?: string
          link?: string | null
          metric?: string
          muted_until?: string | null
          opened_at?: string
          org_id?: string
          resolved_at?: string | null
          rule_id?: string
          sample?: number | null
          scope_key?: string
          status?: string
          threshold?: number
          value?: number | null
        }
        Relationships: [
          {
            foreignKeyName: "alerts_org_id_fkey"
            columns: ["org_id"]
            referencedRelation: "organizations"
            referencedColumns: ["id"]
          },
          {
            foreignKeyName: "alerts_org_id_rule_id_fkey"
            columns: ["org_id", "rule_id"]
            referencedRelation: "alert_rules"
            referencedColumns: ["org_id", "id"]
          },
        ]
      }
      audit_logs: {
        Row: {
          action: string
          actor_id: string | null
          created_at: string
          details: NonNullable<Json>
          entity_id: string | null
          entity_type: string
          id: number
          org_id: string | null
        }
        Insert: {
          action: string
          actor_id?: string | null
          created_at?: string
          details?: NonNullable<Json>
          entity_id?: string | null
          entity_type: string
          id?: never
          org_id?: string | null
        }
        Update: {
          action?: string
          actor_id?: string | null
          created_at?: string
          details?: NonNullable<Json>
          entity_id?: string | null
          entity_type?: string
          id?: never
          org_id?: string | null
        }
        Relationships: [
          {
            foreignKeyName: "audit_logs_org_id_fkey"
            columns: ["org_id"]
            referencedRelation: "organizations"
            referencedColumns: ["id"]
          },
        ]
      }
      comments: {
        Row: {
          author_id: string | null
          body: string
          case_id: string
          created_at: string
          id: string
          org_id: string
          updated_at: string
        }
        Insert: {
          author_id?: string | null
          body: string
          case_id: string
          created_at?: string
          id?: string
          org_id: string
          updated_at?: string
        }
        Update: {
          author_id?: string | null
          body?: string
          case_id?: string
          created_at?: string
          id?: string
          org_id?: string
          updated_at?: string
        }
        Relationships: [
          {
            foreignKeyName: "comments_org_id_case_id_fkey"
            columns: ["org_id", "case_id"]
            referencedRelation: "improvement_cases"
            referencedColumns: ["org_id", "id"]
          },
          {
            foreignKeyName: "comments_org_id_fkey"
            columns: ["org_id"]
            referencedRelation: "organizations"
            referencedColumns: ["id"]
          },
        ]
      }
      dataset_items: {
        Row: {
          context: string | null
          created_at: string
          expected: string | null
          id: string
          metadata: NonNullable<Json>
          org_id: string
          position: number
          query: string
          split: string | null
          variables: NonNullable<Json>
          version_id: string
        }
        Insert: {
          context?: string | null
          created_at?: string
          expected?: string | null
          id?: string
          metadata?: NonNullable<Json>
          org_id: string
          position: number
          query: string
          split?: string | null
          variables?: NonNullable<Json>
          version_id: string
        }
        Update: {
          context?: string | null
          created_at?: string
          expected?: string | null
          id?: string
          metadata?: NonNullable<Json>
          org_id?: string
          position?: number
          query?: string
          split?: string | null
          variables?: NonNullable<Json>
          version_id?: string
        }
        Relationships: [
          {
            foreignKeyName: "dataset_items_org_id_fkey"
            columns: ["org_id"]
            referencedRelation: "organizations"
            referencedColumns: ["id"]
          },
          {
            foreignKeyName: "dataset_items_org_id_version_id_fkey"
            columns: ["org_id", "version_id"]
            referencedRelation: "dataset_versions"
            referencedColumns: ["org_id", "id"]
          },
        ]
      }
      dataset_versions: {
        Row: {
          created_at: string
          created_by: string | null
          dataset_id: string
          doc_problems: string[]
          doc_stored_seq: number
          id: string
          item_count: number
          org_id: string
          published_at: string | null
          published_by: string | null
          source: NonNullable<Json>
          splits: Json | null
          status: string
          version: number
        }
        Insert: {
          created_at?: string
          created_by?: string | null
          dataset_id: string
          doc_problems?: string[]
          doc_stored_seq?: number
          id?: string
          item_count?: number
          org_id: string
          published_at?: string | null
          published_by?: string | null
          source?: NonNullable<Json>
          splits?: Json | null
          status?: string
          version: number
        }
        Update: {
          created_at?: string
          created_by?: string | null
          dataset_id?: string
          doc_problems?: string[]
          doc_stored_seq?: number
          id?: string
          item_count?: number
          org_id?: string
          published_at?: string | null
          published_by?: string | null
          source?: NonNullable<Json>
          splits?: Json | null
          status?: string
          version?: number
        }
        Relationships: [
          {
            foreignKeyName: "dataset_versions_org_id_dataset_id_fkey"
            columns: ["org_id", "dataset_id"]
            referencedRelation: "datasets"
            referencedColumns: ["org_id", "id"]
          },
          {
            foreignKeyName: "dataset_versions_org_id_fkey"
            columns: ["org_id"]
            referencedRelation: "organizations"
            referencedColumns: ["id"]
          },
        ]
      }
      datasets: {
        Row: {
          created_at: string
          created_by: string | null
          description: string
          id: string
          name: string
          org_id: string
          updated_at: string
        }
        Insert: {
          created_at?: string
          created_by?: string | null
          description?: string
          id?: string
          name: string
          org_id: string
          updated_at?: string
        }
        Update: {
          created_at?: string
          created_by?: string | null
          description?: string
          id?: string
          name?: string
          org_id?: string
          updated_at?: string
        }
        Relationships: [
          {
            foreignKeyName: "datasets_org_id_fkey"
            columns: ["org_id"]
            referencedRelation: "organizations"
            referencedColumns: ["id"]
          },
        ]
      }
      doc_clients: {
        Row: {
          author: string
          client_id: number
          doc_id: string
          first_seen: string
        }
        Insert: {
          author: string
          client_id: number
          doc_id: string
          first_seen?: string
        }
        Update: {
          author?: string
          client_id?: number
          doc_id?: string
          first_seen?: string
        }
        Relationships: []
      }
      doc_snapshots: {
        Row: {
          authors: string[]
          created_at: string
          created_by: string | null
          doc_id: string
          id: number
          merged_updates: number
          snapshot: string
        }
        Insert: {
          authors?: string[]
          created_at?: string
          created_by?: string | null
          doc_id: string
          id?: never
          merged_updates: number
          snapshot: string
        }
        Update: {
          authors?: string[]
          created_at?: string
          created_by?: string | null
          doc_id?: string
          id?: never
          merged_updates?: number
          snapshot?: string
        }
        Relationships: []
      }
      doc_updates: {
        Row: {
          author: string | null
          client_id: number | null
          created_at: string
          doc_id: string
          id: number
          update: string
        }
        Insert: {
          author?: string | null
          client_id?: number | null
          created_at?: string
          doc_id: string
          id?: never
          update: string
        }
        Update: {
          author?: string | null
          client_id?: number | null
          created_at?: string
          doc_id?: string
          id?: never
          update?: string
        }
        Relationships: []
      }
      drift_alerts: {
        Row: {
          baseline_count: number
          baseline_from: string
          baseline_to: string
          created_at: string
          current_count: number
          current_from: string
          current_to: string
          distribution: NonNullable<Json>
          id: string
          job_id: string | null
          metric: string
          model: string | null
          org_id: string
          prompt_version_id: string | null
          psi: number
          status: string
          threshold: number
        }
        Insert: {
          baseline_count: number
          baseline_from: string
          baseline_to: string
          created_at?: string
          current_count: number
          current_from: string
          current_to: string
          distribution: NonNullable<Json>
          id?: string
          job_id?: string | null
          metric?: string
          model?: string | null
          org_id: string
          prompt_version_id?: string | null
          psi: number
          status?: string
          threshold: number
        }
        Update: {
          baseline_count?: number
          baseline_from?: string
          baseline_to?: string
          created_at?: string
          current_count?: number
          current_from?: string
          current_to?: string
          distribution?: NonNullable<Json>
          id?: string
          job_id?: string | null
          metric?: string
          model?: string | null
          org_id?: string
          prompt_version_id?: string | null
          psi?: number
          status?: string
          threshold?: number
        }
        Relationships: [
          {
            foreignKeyName: "drift_alerts_org_id_fkey"
            columns: ["org_id"]
            referencedRelation: "organizations"
            referencedColumns: ["id"]
          },
          {
            foreignKeyName: "drift_alerts_org_id_job_id_fkey"
            columns: ["org_id", "job_id"]
            referencedRelation: "jobs"
            referencedColumns: ["org_id", "id"]
          },
          {
            foreignKeyName: "drift_alerts_org_id_prompt_version_id_fkey"
            columns: ["org_id", "prompt_version_id"]
            referencedRelation: "prompt_versions"
            referencedColumns: ["org_id", "id"]
          },
        ]
      }
      eval_results: {
        Row: {
          created_at: string
          example_id: string | null
          id: number
          item_index: number
          job_id: string
          judge: NonNullable<Json>
          judge_score: number | null
          metrics: NonNullable<Json>
          org_id: string
          output_a: string
          output_b: string
          query: string
          reference: string | null
        }
        Insert: {
          created_at?: string
          example_id?: string | null
          id?: never
          item_index: number
          job_id: string
          judge?: NonNullable<Json>
          judge_score?: number | null
          metrics?: NonNullable<Json>
          org_id: string
          output_a: string
          output_b: string
          query: string
          reference?: string | null
        }
        Update: {
          created_at?: string
          example_id?: string | null
          id?: never
          item_index?: number
          job_id?: string
          judge?: NonNullable<Json>
          judge_score?: number | null
          metrics?: NonNullable<Json>
          org_id?: string
          output_a?: string
          output_b?: string
          query?: string
          reference?: string | null
        }
        Relationships: [
          {
            foreignKeyName: "eval_results_org_id_example_id_fkey"
            columns: ["org_id", "example_id"]
            referencedRelation: "training_examples"
            referencedColumns: ["org_id", "id"]
          },
          {
            foreignKeyName: "eval_results_org_id_fkey"
            columns: ["org_id"]
            referencedRelation: "organizations"
            referencedColumns: ["id"]
          },
          {
            foreignKeyName: "eval_results_org_id_job_id_fkey"
            columns: ["org_id", "job_id"]
            referencedRelation: "jobs"
            referencedColumns: ["org_id", "id"]
          },
        ]
      }
      evaluators: {
        Row: {
          config: NonNullable<Json>
          created_at: string
          created_by: string | null
          id: string
          kind: string
          name: string
          org_id: string
          version: number
        }
        Insert: {
          config?: NonNullable<Json>
          created_at?: string
          created_by?: string | null
          id?: string
          kind: string
          name: string
          org_id: string
          version?: number
        }
        Update: {
          config?: NonNullable<Json>
          created_at?: string
          created_by?: string | null
          id?: string
          kind?: string
          name?: string
          org_id?: string
          version?: number
        }
        Relationships: [
          {
            foreignKeyName: "evaluators_org_id_fkey"
            columns: ["org_id"]
            referencedRelation: "organizations"
            referencedColumns: ["id"]
          },
        ]
      }
      experiment_results: {
        Row: {
          cost_usd: number | null
          created_at: string
          error: string | null
          experiment_id: string
          id: number
          input_tokens: number | null
          item_id: string
          judge_cost_usd: number | null
          latency_ms: number | null
          org_id: string
          output: string
          output_tokens: number | null
          score_details: NonNullable<Json>
          scores: NonNullable<Json>
          variant: number
        }
        Insert: {
          cost_usd?: number | null
          created_at?: string
          error?: string | null
          experiment_id: string
          id?: never
          input_tokens?: number | null
          item_id: string
          judge_cost_usd?: number | null
          latency_ms?: number | null
          org_id: string
          output?: string
          output_tokens?: number | null
          score_details?: NonNullable<Json>
          scores?: NonNullable<Json>
          variant: number
        }
        Update: {
          cost_usd?: number | null
          created_at?: string
          error?: string | null
          experiment_id?: string
          id?: never
          input_tokens?: number | null
          item_id?: string
          judge_cost_usd?: number | null
          latency_ms?: number | null
          org_id?: string
          output?: string
          output_tokens?: number | null
          score_details?: NonNullable<Json>
          scores?: NonNullable<Json>
          variant?: number
        }
        Relationships: [
          {
            foreignKeyName: "experiment_results_org_id_experiment_id_fkey"
            columns: ["org_id", "experiment_id"]
            referencedRelation: "experiments"
            referencedColumns: ["org_id", "id"]
          },
          {
            foreignKeyName: "experiment_results_org_id_fkey"
            columns: ["org_id"]
            referencedRelation: "organizations"
            referencedColumns: ["id"]
          },
          {
            foreignKeyName: "experiment_results_org_id_item_id_fkey"
            columns: ["org_id", "item_id"]
            referencedRelation: "dataset_items"
            referencedColumns: ["org_id", "id"]
          },
        ]
      }
      experiments: {
        Row: {
          baseline: number
          created_at: string
          created_by: string | null
          dataset_version_id: string
          evaluator_ids: string[]
          id: string
          job_id: string
          name: string
          org_id: string
          status: Database["public"]["Enums"]["job_status"]
          summary: Json | null
          variants: NonNullable<Json>
        }
        Insert: {
          baseline?: number
          created_at?: string
          created_by?: string | null
          dataset_version_id: string
          evaluator_ids?: string[]
          id?: string
          job_id: string
          name: string
          org_id: string
          status?: Database["public"]["Enums"]["job_status"]
          summary?: Json | null
          variants: NonNullable<Json>
        }
        Update: {
          baseline?: number
          created_at?: string
          created_by?: string | null
          dataset_version_id?: string
          evaluator_ids?: string[]
          id?: string
          job_id?: string
          name?: string
          org_id?: string
          status?: Database["public"]["Enums"]["job_status"]
          summary?: Json | null
          variants?: NonNullable<Json>
        }
        Relationships: [
          {
            foreignKeyName: "experiments_org_id_dataset_version_id_fkey"
            columns: ["org_id", "dataset_version_id"]
            referencedRelation: "dataset_versions"
            referencedColumns: ["org_id", "id"]
          },
          {
            foreignKeyName: "experiments_org_id_fkey"
            columns: ["org_id"]
            referencedRelation: "organizations"
            referencedColumns: ["id"]
          },
          {
            foreignKeyName: "experiments_org_id_job_id_fkey"
            columns: ["org_id", "job_id"]
            referencedRelation: "jobs"
            referencedColumns: ["org_id", "id"]
          },
        ]
      }
      feedback: {
        Row: {
          case_id: string | null
          claimed_at: string | null
          claimed_by: string | null
          comment: string | null
          created_at: string
          external_id: string | null
          id: string
          labels: string[]
          model: string | null
          org_id: string
          prompt_version_id: string | null
          query: string
          rating: number
          response: string
          source: string
          status: string
          trace_id: string | null
          updated_at: string
        }
        Insert: {
          case_id?: string | null
          claimed_at?: string | null
          claimed_by?: string | null
          comment?: string | null
          created_at?: string
          external_id?: string | null
          id?: string
          labels?: string[]
          model?: string | null
          org_id: string
          prompt_version_id?: string | null
          query: string
          rating: number
          response: string
          source?: string
          status?: string
          trace_id?: string | null
          updated_at?: string
        }
        Update: {
          case_id?: string | null
          claimed_at?: string | null
          claimed_by?: string | null
          comment?: string | null
          created_at?: string
          external_id?: string | null
          id?: string
          labels?: string[]
          model?: string | null
          org_id?: string
          prompt_version_id?: string | null
          query?: string
          rating?: number
          response?: string
          source?: string
          status?: string
          trace_id?: string | null
          updated_at?: string
        }
        Relationships: [
          {
            foreignKeyName: "feedback_case_fk"
            columns: ["org_id", "case_id"]
            referencedRelation: "improvement_cases"
            referencedColumns: ["org_id", "id"]
          },
          {
            foreignKeyName: "feedback_org_id_fkey"
            columns: ["org_id"]
            referencedRelation: "organizations"
            referencedColumns: ["id"]
          },
          {
            foreignKeyName: "feedback_org_id_prompt_version_id_fkey"
            columns: ["org_id", "prompt_version_id"]
            referencedRelation: "prompt_versions"
            referencedColumns: ["org_id", "id"]
          },
        ]
      }
      feedback_daily: {
        Row: {
          day: string
          low_rating_share: number | null
          org_id: string
          rating_1: number
          rating_2: number
          rating_3: number
          rating_4: number
          rating_5: number
          rating_sum: number | null
          total: number | null
        }
        Insert: {
          day: string
          low_rating_share?: never
          org_id: string
          rating_1?: number
          rating_2?: number
          rating_3?: number
          rating_4?: number
          rating_5?: number
          rating_sum?: never
          total?: never
        }
        Update: {
          day?: string
          low_rating_share?: never
          org_id?: string
          rating_1?: number
          rating_2?: number
          rating_3?: number
          rating_4?: number
          rating_5?: number
          rating_sum?: never
          total?: never
        }
        Relationships: [
          {
            foreignKeyName: "feedback_daily_org_id_fkey"
            columns: ["org_id"]
            referencedRelation: "organizations"
            referencedColumns: ["id"]
          },
        ]
      }
      feedback_theme_items: {
        Row: {
          feedback_id: string
          org_id: string
          similarity: number
          theme_id: string
        }
        Insert: {
          feedback_id: string
          org_id: string
          similarity: number
          theme_id: string
        }
        Update: {
          feedback_id?: string
          org_id?: string
          similarity?: number
          theme_id?: string
        }
        Relationships: [
          {
            foreignKeyName: "feedback_theme_items_org_id_feedback_id_fkey"
            columns: ["org_id", "feedback_id"]
            referencedRelation: "feedback"
            referencedColumns: ["org_id", "id"]
          },
          {
            foreignKeyName: "feedback_theme_items_org_id_fkey"
            columns: ["org_id"]
            referencedRelation: "organizations"
            referencedColumns: ["id"]
          },
          {
            foreignKeyName: "feedback_theme_items_org_id_theme_id_fkey"
            columns: ["org_id", "theme_id"]
            referencedRelation: "feedback_themes"
            referencedColumns: ["org_id", "id"]
          },
        ]
      }
      feedback_themes: {
        Row: {
          avg_rating: number | null
          created_at: string
          id: string
          is_current: boolean
          job_id: string | null
          keywords: string[]
          name: string
          org_id: string
          previous_size: number
          size: number
          summary: string
          window_from: string
          window_to: string
        }
        Insert: {
          avg_rating?: number | null
          created_at?: string
          id?: string
          is_current?: boolean
          job_id?: string | null
          keywords?: string[]
          name: string
          org_id: string
          previous_size?: number
          size: number
          summary?: string
          window_from: string
          window_to: string
        }
        Update: {
          avg_rating?: number | null
          created_at?: string
          id?: string
          is_current?: boolean
          job_id?: string | null
          keywords?: string[]
          name?: string
          org_id?: string
          previous_size?: number
          size?: number
          summary?: string
          window_from?: string
          window_to?: string
        }
        Relationships: [
          {
            foreignKeyName: "feedback_themes_org_id_fkey"
            columns: ["org_id"]
            referencedRelation: "organizations"
            referencedColumns: ["id"]
          },
          {
            foreignKeyName: "feedback_themes_org_id_job_id_fkey"
            columns: ["org_id", "job_id"]
            referencedRelation: "jobs"
            referencedColumns: ["org_id", "id"]
          },
        ]
      }
      improvement_cases: {
        Row: {
          approved_by: string | null
          bad_response: string
          created_at: string
          created_by: string | null
          decided_at: string | null
          feedback_id: string
          flags: NonNullable<Json>
          id: string
          org_id: string
          query: string
          reject_reason: string | null
          status: string
          suggested_response: string
          suggestion_model: string | null
          updated_at: string
        }
        Insert: {
          approved_by?: string | null
          bad_response: string
          created_at?: string
          created_by?: string | null
          decided_at?: string | null
          feedback_id: string
          flags?: NonNullable<Json>
          id?: string
          org_id: string
          query: string
          reject_reason?: string | null
          status?: string
          suggested_response?: string
          suggestion_model?: string | null
          updated_at?: string
        }
        Update: {
          approved_by?: string | null
          bad_response?: string
          created_at?: string
          created_by?: string | null
          decided_at?: string | null
          feedback_id?: string
          flags?: NonNullable<Json>
          id?: string
          org_id?: string
          query?: string
          reject_reason?: string | null
          status?: string
          suggested_response?: string
          suggestion_model?: string | null
          updated_at?: string
        }
        Relationships: [
          {
            foreignKeyName: "improvement_cases_org_id_feedback_id_fkey"
            columns: ["org_id", "feedback_id"]
            referencedRelation: "feedback"
            referencedColumns: ["org_id", "id"]
          },
          {
            foreignKeyName: "improvement_cases_org_id_fkey"
            columns: ["org_id"]
            referencedRelation: "organizations"
            referencedColumns: ["id"]
          },
        ]
      }
      ingest_keys: {
        Row: {
          created_at: string
          created_by: string | null
          id: string
          key_hash: string
          last_used_at: string | null
          name: string
          org_id: string
          prefix: string
          revoked_at: string | null
        }
        Insert: {
          created_at?: string
          created_by?: string | null
          id?: string
          key_hash: string
          last_used_at?: string | null
          name: string
          org_id: string
          prefix: string
          revoked_at?: string | null
        }
        Update: {
          created_at?: string
          created_by?: string | null
          id?: string
          key_hash?: string
          last_used_at?: string | null
          name?: string
          org_id?: string
          prefix?: string
          revoked_at?: string | null
        }
        Relationships: [
          {
            foreignKeyName: "ingest_keys_org_id_fkey"
            columns: ["org_id"]
            referencedRelation: "organizations"
            referencedColumns: ["id"]
          },
        ]
      }
      invitations: {
        Row: {
          accepted_at: string | null
          accepted_by: string | null
          created_at: string
          email: string
          id: string
          invited_by: string | null
          org_id: string
          role: Database["public"]["Enums"]["member_role"]
        }
        Insert: {
          accepted_at?: string | null
          accepted_by?: string | null
          created_at?: string
          email: string
          id?: string
          invited_by?: string | null
          org_id: string
          role: Database["public"]["Enums"]["member_role"]
        }
        Update: {
          accepted_at?: string | null
          accepted_by?: string | null
          created_at?: string
          email?: string
          id?: string
          invited_by?: string | null
          org_id?: string
          role?: Database["public"]["Enums"]["member_role"]
        }
        Relationships: [
          {
            foreignKeyName: "invitations_org_id_fkey"
            columns: ["org_id"]
            referencedRelation: "organizations"
            referencedColumns: ["id"]
          },
        ]
      }
      job_events: {
        Row: {
          created_at: string
          id: number
          job_id: string
          message: string
          metrics: NonNullable<Json>
          org_id: string
          step: string
        }
        Insert: {
          created_at?: string
          id?: never
          job_id: string
          message?: string
          metrics?: NonNullable<Json>
          org_id: string
          step: string
        }
        Update: {
          created_at?: string
          id?: never
          job_id?: string
          message?: string
          metrics?: NonNullable<Json>
          org_id?: string
          step?: string
        }
        Relationships: [
          {
            foreignKeyName: "job_events_org_id_fkey"
            columns: ["org_id"]
            referencedRelation: "organizations"
            referencedColumns: ["id"]
          },
          {
            foreignKeyName: "job_events_org_id_job_id_fkey"
            columns: ["org_id", "job_id"]
            referencedRelation: "jobs"
            referencedColumns: ["org_id", "id"]
          },
        ]
      }
      job_queue: {
        Row: {
          attempts: number
          checkpoint: Json | null
          created_at: string
          failed_at: string | null
          heartbeat_at: string | null
          id: number
          job_id: string | null
          job_key: string | null
          last_error: string | null
          locked_by: string | null
          locked_until: string | null
          max_attempts: number | null
          org_id: string | null
          payload: NonNullable<Json>
          priority: number
          run_at: string
          state: string
          task: string
          updated_at: string
        }
        Insert: {
          attempts?: number
          checkpoint?: Json | null
          created_at?: string
          failed_at?: string | null
          heartbeat_at?: string | null
          id?: never
          job_id?: string | null
          job_key?: string | null
          last_error?: string | null
          locked_by?: string | null
          locked_until?: string | null
          max_attempts?: number | null
          org_id?: string | null
          payload?: NonNullable<Json>
          priority?: number
          run_at?: string
          state?: string
          task: string
          updated_at?: string
        }
        Update: {
          attempts?: number
          checkpoint?: Json | null
          created_at?: string
          failed_at?: string | null
          heartbeat_at?: string | null
          id?: never
          job_id?: string | null
          job_key?: string | null
          last_error?: string | null
          locked_by?: string | null
          locked_until?: string | null
          max_attempts?: number | null
          org_id?: string | null
          payload?: NonNullable<Json>
          priority?: number
          run_at?: string
          state?: string
          task?: string
          updated_at?: string
        }
        Relationships: [
          {
            foreignKeyName: "job_queue_job_id_fkey"
            columns: ["job_id"]
            referencedRelation: "jobs"
            referencedColumns: ["id"]
          },
          {
            foreignKeyName: "job_queue_org_id_fkey"
            columns: ["org_id"]
            referencedRelation: "organizations"
            referencedColumns: ["id"]
          },
        ]
      }
      jobs: {
        Row: {
          base_model: string | null
          cancel_requested: boolean
          config: NonNullable<Json>
          created_at: string
          created_by: string | null
          duration_ms: number | null
          error: string | null
          finished_at: string | null
          id: string
          job_key: string | null
          kind: Database["public"]["Enums"]["job_kind"]
          name: string
          org_id: string
          progress: number
          result: Json | null
          started_at: string | null
          status: Database["public"]["Enums"]["job_status"]
          trained_on_tags: string[]
        }
        Insert: {
          base_model?: string | null
          cancel_requested?: boolean
          config?: NonNullable<Json>
          created_at?: string
          created_by?: string | null
          duration_ms?: number | null
          error?: string | null
          finished_at?: string | null
          id?: string
          job_key?: string | null
          kind: Database["public"]["Enums"]["job_kind"]
          name: string
          org_id: string
          progress?: number
          result?: Json | null
          started_at?: string | null
          status?: Database["public"]["Enums"]["job_status"]
          trained_on_tags?: string[]
        }
        Update: {
          base_model?: string | null
          cancel_requested?: boolean
          config?: NonNullable<Json>
          created_at?: string
          created_by?: string | null
          duration_ms?: number | null
          error?: string | null
          finished_at?: string | null
          id?: string
          job_key?: string | null
          kind?: Database["public"]["Enums"]["job_kind"]
          name?: string
          org_id?: string
          progress?: number
          result?: Json | null
          started_at?: string | null
          status?: Database["public"]["Enums"]["job_status"]
          trained_on_tags?: string[]
        }
        Relationships: [
          {
            foreignKeyName: "jobs_org_id_fkey"
            columns: ["org_id"]
            referencedRelation: "organizations"
            referencedColumns: ["id"]
          },
        ]
      }
      judge_scores: {
        Row: {
          cost_usd: number
          created_at: string
          id: number
          input_tokens: number
          item_id: string
          job_id: string
          model: string
          org_id: string
          output_tokens: number
          queue_id: string
          rationale: string
          score_config_id: string
          value: NonNullable<Json>
        }
        Insert: {
          cost_usd?: number
          created_at?: string
          id?: never
          input_tokens?: number
          item_id: string
          job_id: string
          model: string
          org_id: string
          output_tokens?: number
          queue_id: string
          rationale?: string
          score_config_id: string
          value: NonNullable<Json>
        }
        Update: {
          cost_usd?: number
          created_at?: string
          id?: never
          input_tokens?: number
          item_id?: string
          job_id?: string
          model?: string
          org_id?: string
          output_tokens?: number
          queue_id?: string
          rationale?: string
          score_config_id?: string
          value?: NonNullable<Json>
        }
        Relationships: [
          {
            foreignKeyName: "judge_scores_org_id_fkey"
            columns: ["org_id"]
            referencedRelation: "organizations"
            referencedColumns: ["id"]
          },
          {
            foreignKeyName: "judge_scores_org_id_item_id_fkey"
            columns: ["org_id", "item_id"]
            referencedRelation: "review_items"
            referencedColumns: ["org_id", "id"]
          },
          {
            foreignKeyName: "judge_scores_org_id_job_id_fkey"
            columns: ["org_id", "job_id"]
            referencedRelation: "jobs"
            referencedColumns: ["org_id", "id"]
          },
          {
            foreignKeyName: "judge_scores_org_id_queue_id_fkey"
            columns: ["org_id", "queue_id"]
            referencedRelation: "review_queues"
            referencedColumns: ["org_id", "id"]
          },
          {
            foreignKeyName: "judge_scores_org_id_score_config_id_fkey"
            columns: ["org_id", "score_config_id"]
            referencedRelation: "score_configs"
            referencedColumns: ["org_id", "id"]
          },
        ]
      }
      memberships: {
        Row: {
          created_at: string
          id: string
          org_id: string
          role: Database["public"]["Enums"]["member_role"]
          user_id: string
        }
        Insert: {
          created_at?: string
          id?: string
          org_id: string
          role: Database["public"]["Enums"]["member_role"]
          user_id: string
        }
        Update: {
          created_at?: string
          id?: string
          org_id?: string
          role?: Database["public"]["Enums"]["member_role"]
          user_id?: string
        }
        Relationships: [
          {
            foreignKeyName: "memberships_org_id_fkey"
            columns: ["org_id"]
            referencedRelation: "organizations"
            referencedColumns: ["id"]
          },
        ]
      }
      ml_settings: {
        Row: {
          min_samples_for_retrain: number | null
          org_id: string
          quality_threshold: number | null
          updated_at: string
          updated_by: string | null
        }
        Insert: {
          min_samples_for_retrain?: number | null
          org_id: string
          quality_threshold?: number | null
          updated_at?: string
          updated_by?: string | null
        }
        Update: {
          min_samples_for_retrain?: number | null
          org_id?: string
          quality_threshold?: number | null
          updated_at?: string
          updated_by?: string | null
        }
        Relationships: [
          {
            foreignKeyName: "ml_settings_org_id_fkey"
            columns: ["org_id"]
            referencedRelation: "organizations"
            referencedColumns: ["id"]
          },
        ]
      }
      models: {
        Row: {
          accuracy: number | null
          base_model: string
          cost_per_1k_tokens: number | null
          created_at: string
          dataset_snapshot: NonNullable<Json>
          id: string
          is_live: boolean
          job_id: string | null
          latency_ms: number | null
          name: string
          org_id: string
          provider: string
          retrieval_index: Json | null
          served_model: string
        }
        Insert: {
          accuracy?: number | null
          base_model: string
          cost_per_1k_tokens?: number | null
          created_at?: string
          dataset_snapshot?: NonNullable<Json>
          id?: string
          is_live?: boolean
          job_id?: string | null
          latency_ms?: number | null
          name: string
          org_id: string
          provider?: string
          retrieval_index?: Json | null
          served_model: string
        }
        Update: {
          accuracy?: number | null
          base_model?: string
          cost_per_1k_tokens?: number | null
          created_at?: string
          dataset_snapshot?: NonNullable<Json>
          id?: string
          is_live?: boolean
          job_id?: string | null
          latency_ms?: number | null
          name?: string
          org_id?: string
          provider?: string
          retrieval_index?: Json | null
          served_model?: string
        }
        Relationships: [
          {
            foreignKeyName: "models_org_id_fkey"
            columns: ["org_id"]
            referencedRelation: "organizations"
            referencedColumns: ["id"]
          },
          {
            foreignKeyName: "models_org_id_job_id_fkey"
            columns: ["org_id", "job_id"]
            referencedRelation: "jobs"
            referencedColumns: ["org_id", "id"]
          },
        ]
      }
      notification_channels: {
        Row: {
          created_at: string
          created_by: string | null
          enabled: boolean
          id: string
          kind: string
          name: string
          org_id: string
          target: string
        }
        Insert: {
          created_at?: string
          created_by?: string | null
          enabled?: boolean
          id?: string
          kind: string
          name: string
          org_id: string
          target: string
        }
        Update: {
          created_at?: string
          created_by?: string | null
          enabled?: boolean
          id?: string
          kind?: string
          name?: string
          org_id?: string
          target?: string
        }
        Relationships: [
          {
            foreignKeyName: "notification_channels_org_id_fkey"
            columns: ["org_id"]
            referencedRelation: "organizations"
            referencedColumns: ["id"]
          },
        ]
      }
      notification_deliveries: {
        Row: {
          alert_id: string | null
          attempts: number
          channel_id: string
          created_at: string
          delivered_at: string | null
          event: string
          id: string
          last_error: string | null
          last_status_code: number | null
          org_id: string
          payload: NonNullable<Json>
          status: string
          updated_at: string
        }
        Insert: {
          alert_id?: string | null
          attempts?: number
          channel_id: string
          created_at?: string
          delivered_at?: string | null
          event: string
          id?: string
          last_error?: string | null
          last_status_code?: number | null
          org_id: string
          payload?: NonNullable<Json>
          status?: string
          updated_at?: string
        }
        Update: {
          alert_id?: string | null
          attempts?: number
          channel_id?: string
          created_at?: string
          delivered_at?: string | null
          event?: string
          id?: string
          last_error?: string | null
          last_status_code?: number | null
          org_id?: string
          payload?: NonNullable<Json>
          status?: string
          updated_at?: string
        }
        Relationships: [
          {
            foreignKeyName: "notification_deliveries_org_id_alert_id_fkey"
            columns: ["org_id", "alert_id"]
            referencedRelation: "alerts"
            referencedColumns: ["org_id", "id"]
          },
          {
            foreignKeyName: "notification_deliveries_org_id_channel_id_fkey"
            columns: ["org_id", "channel_id"]
            referencedRelation: "notification_channels"
            referencedColumns: ["org_id", "id"]
          },
          {
            foreignKeyName: "notification_deliveries_org_id_fkey"
            columns: ["org_id"]
            referencedRelation: "organizations"
            referencedColumns: ["id"]
          },
        ]
      }
      online_eval_results: {
        Row: {
          ai_request_id: string
          created_at: string
          details: NonNullable<Json>
          evaluator_id: string
          function_name: string
          id: number
          model: string
          org_id: string
          prompt_version_id: string | null
          request_at: string
          rule_id: string
          score: number | null
        }
        Insert: {
          ai_request_id: string
          created_at?: string
          details?: NonNullable<Json>
          evaluator_id: string
          function_name: string
          id?: never
          model: string
          org_id: string
          prompt_version_id?: string | null
          request_at: string
          rule_id: string
          score?: number | null
        }
        Update: {
          ai_request_id?: string
          created_at?: string
          details?: NonNullable<Json>
          evaluator_id?: string
          function_name?: string
          id?: never
          model?: string
          org_id?: string
          prompt_version_id?: string | null
          request_at?: string
          rule_id?: string
          score?: number | null
        }
        Relationships: [
          {
            foreignKeyName: "online_eval_results_ai_request_id_fkey"
            columns: ["ai_request_id"]
            referencedRelation: "ai_requests"
            referencedColumns: ["id"]
          },
          {
            foreignKeyName: "online_eval_results_org_id_fkey"
            columns: ["org_id"]
            referencedRelation: "organizations"
            referencedColumns: ["id"]
          },
          {
            foreignKeyName: "online_eval_results_org_id_rule_id_fkey"
            columns: ["org_id", "rule_id"]
            referencedRelation: "online_evaluators"
            referencedColumns: ["org_id", "id"]
          },
        ]
      }
      online_evaluators: {
        Row: {
          created_at: string
          created_by: string | null
          enabled: boolean
          evaluator_id: string
          function_name: string | null
          id: string
          judge_calls_per_day: number
          model: string | null
          org_id: string
          prompt_version_id: string | null
          sampling_rate: number
          updated_at: string
        }
        Insert: {
          created_at?: string
          created_by?: string | null
          enabled?: boolean
          evaluator_id: string
          function_name?: string | null
          id?: string
          judge_calls_per_day?: number
          model?: string | null
          org_id: string
          prompt_version_id?: string | null
          sampling_rate: number
          updated_at?: string
        }
        Update: {
          created_at?: string
          created_by?: string | null
          enabled?: boolean
          evaluator_id?: string
          function_name?: string | null
          id?: string
          judge_calls_per_day?: number
          model?: string | null
          org_id?: string
          prompt_version_id?: string | null
          sampling_rate?: number
          updated_at?: string
        }
        Relationships: [
          {
            foreignKeyName: "online_evaluators_org_id_evaluator_id_fkey"
            columns: ["org_id", "evaluator_id"]
            referencedRelation: "evaluators"
            referencedColumns: ["org_id", "id"]
          },
          {
            foreignKeyName: "online_evaluators_org_id_fkey"
            columns: ["org_id"]
            referencedRelation: "organizations"
            referencedColumns: ["id"]
          },
          {
            foreignKeyName: "online_evaluators_org_id_prompt_version_id_fkey"
            columns: ["org_id", "prompt_version_id"]
            referencedRelation: "prompt_versions"
            referencedColumns: ["org_id", "id"]
          },
        ]
      }
      opt_feedback: {
        Row: {
          comments: string | null
          created_at: string
          id: string
          rating: number
          session_id: string
          updated_at: string
          user_id: string
        }
        Insert: {
          comments?: string | null
          created_at?: string
          id?: string
          rating: number
          session_id: string
          updated_at?: string
          user_id?: string
        }
        Update: {
          comments?: string | null
          created_at?: string
          id?: string
          rating?: number
          session_id?: string
          updated_at?: string
          user_id?: string
        }
        Relationships: [
          {
            foreignKeyName: "opt_feedback_session_id_fkey"
            columns: ["session_id"]
            referencedRelation: "opt_sessions"
            referencedColumns: ["id"]
          },
        ]
      }
      opt_messages: {
        Row: {
          content: NonNullable<Json>
          created_at: string
          id: number
          kind: string
          model_name: string | null
          role: string
          session_id: string
          user_id: string
        }
        Insert: {
          content: NonNullable<Json>
          created_at?: string
          id?: never
          kind: string
          model_name?: string | null
          role: string
          session_id: string
          user_id?: string
        }
        Update: {
          content?: NonNullable<Json>
          created_at?: string
          id?: never
          kind?: string
          model_name?: string | null
          role?: string
          session_id?: string
          user_id?: string
        }
        Relationships: [
          {
            foreignKeyName: "opt_messages_session_id_fkey"
            columns: ["session_id"]
            referencedRelation: "opt_sessions"
            referencedColumns: ["id"]
          },
        ]
      }
      opt_sessions: {
        Row: {
          created_at: string
          final_prompt: string | null
          id: string
          initial_prompt: string
          org_id: string
          prompt_id: string | null
          rounds: number
          saved_version_id: string | null
          selections: NonNullable<Json>
          status: Database["public"]["Enums"]["opt_session_status"]
          updated_at: string
          user_id: string
          working_memory: NonNullable<Json>
        }
        Insert: {
          created_at?: string
          final_prompt?: string | null
          id?: string
          initial_prompt: string
          org_id: string
          prompt_id?: string | null
          rounds?: number
          saved_version_id?: string | null
          selections?: NonNullable<Json>
          status?: Database["public"]["Enums"]["opt_session_status"]
          updated_at?: string
          user_id?: string
          working_memory?: NonNullable<Json>
        }
        Update: {
          created_at?: string
          final_prompt?: string | null
          id?: string
          initial_prompt?: string
          org_id?: string
          prompt_id?: string | null
          rounds?: number
          saved_version_id?: string | null
          selections?: NonNullable<Json>
          status?: Database["public"]["Enums"]["opt_session_status"]
          updated_at?: string
          user_id?: string
          working_memory?: NonNullable<Json>
        }
        Relationships: [
          {
            foreignKeyName: "opt_sessions_org_id_fkey"
            columns: ["org_id"]
            referencedRelation: "organizations"
            referencedColumns: ["id"]
          },
          {
            foreignKeyName: "opt_sessions_org_id_prompt_id_fkey"
            columns: ["org_id", "prompt_id"]
            referencedRelation: "prompts"
            referencedColumns: ["org_id", "id"]
          },
          {
            foreignKeyName: "opt_sessions_org_id_saved_version_id_fkey"
            columns: ["org_id", "saved_version_id"]
            referencedRelation: "prompt_versions"
            referencedColumns: ["org_id", "id"]
          },
        ]
      }
      organizations: {
        Row: {
          created_at: string
          created_by: string | null
          id: string
          name: string
          slug: string
        }
        Insert: {
          created_at?: string
          created_by?: string | null
          id?: string
          name: string
          slug: string
        }
        Update: {
          created_at?: string
          created_by?: string | null
          id?: string
          name?: string
          slug?: string
        }
        Relationships: []
      }
      profiles: {
        Row: {
          avatar_color: string
          created_at: string
          display_name: string
          id: string
          updated_at: string
        }
        Insert: {
          avatar_color?: string
          created_at?: string
          display_name?: string
          id: string
          updated_at?: string
        }
        Update: {
          avatar_color?: string
          created_at?: string
          display_name?: string
          id?: string
          updated_at?: string
        }
        Relationships: []
      }
      prompt_promotions: {
        Row: {
          actor_id: string | null
          created_at: string
          evidence_job_id: string | null
          id: number
          kind: string
          org_id: string
          previous_version_id: string | null
          prompt_id: string
          reason: string | null
          version_id: string
        }
        Insert: {
          actor_id?: string | null
          created_at?: string
          evidence_job_id?: string | null
          id?: never
          kind: string
          org_id: string
          previous_version_id?: string | null
          prompt_id: string
          reason?: string | null
          version_id: string
        }
        Update: {
          actor_id?: string | null
          created_at?: string
          evidence_job_id?: string | null
          id?: never
          kind?: string
          org_id?: string
          previous_version_id?: string | null
          prompt_id?: string
          reason?: string | null
          version_id?: string
        }
        Relationships: [
          {
            foreignKeyName: "prompt_promotions_org_id_fkey"
            columns: ["org_id"]
            referencedRelation: "organizations"
            referencedColumns: ["id"]
          },
          {
            foreignKeyName: "prompt_promotions_org_id_previous_version_id_fkey"
            columns: ["org_id", "previous_version_id"]
            referencedRelation: "prompt_versions"
            referencedColumns: ["org_id", "id"]
          },
          {
            foreignKeyName: "prompt_promotions_org_id_prompt_id_fkey"
            columns: ["org_id", "prompt_id"]
            referencedRelation: "prompts"
            referencedColumns: ["org_id", "id"]
          },
          {
            foreignKeyName: "prompt_promotions_org_id_version_id_fkey"
            columns: ["org_id", "version_id"]
            referencedRelation: "prompt_versions"
            referencedColumns: ["org_id", "id"]
          },
        ]
      }
      prompt_versions: {
        Row: {
          author_id: string | null
          created_at: string
          id: string
          model: string
          org_id: string
          params: NonNullable<Json>
          parent_version_id: string | null
          promoted_at: string | null
          prompt_id: string
          status: Database["public"]["Enums"]["prompt_status"]
          system_template: string
          template: string
          variables: NonNullable<Json>
          version: number
        }
        Insert: {
          author_id?: string | null
          created_at?: string
          id?: string
          model: string
          org_id: string
          params?: NonNullable<Json>
          parent_version_id?: string | null
          promoted_at?: string | null
          prompt_id: string
          status?: Database["public"]["Enums"]["prompt_status"]
          system_template?: string
          template: string
          variables?: NonNullable<Json>
          version: number
        }
        Update: {
          author_id?: string | null
          created_at?: string
          id?: string
          model?: string
          org_id?: string
          params?: NonNullable<Json>
          parent_version_id?: string | null
          promoted_at?: string | null
          prompt_id?: string
          status?: Database["public"]["Enums"]["prompt_status"]
          system_template?: string
          template?: string
          variables?: NonNullable<Json>
          version?: number
        }
        Relationships: [
          {
            foreignKeyName: "prompt_versions_org_id_fkey"
            columns: ["org_id"]
            referencedRelation: "organizations"
            referencedColumns: ["id"]
          },
          {
            foreignKeyName: "prompt_versions_org_id_parent_version_id_fkey"
            columns: ["org_id", "parent_version_id"]
            referencedRelation: "prompt_versions"
            referencedColumns: ["org_id", "id"]
          },
          {
            foreignKeyName: "prompt_versions_org_id_prompt_id_fkey"
            columns: ["org_id", "prompt_id"]
            referencedRelation: "prompts"
            referencedColumns: ["org_id", "id"]
          },
        ]
      }
      prompts: {
        Row: {
          created_at: string
          created_by: string | null
          description: string
          id: string
          org_id: string
          slug: string
        }
        Insert: {
          created_at?: string
          created_by?: string | null
          description?: string
          id?: string
          org_id: string
          slug: string
        }
        Update: {
          created_at?: string
          created_by?: string | null
          description?: string
          id?: string
          org_id?: string
          slug?: string
        }
        Relationships: [
          {
            foreignKeyName: "prompts_org_id_fkey"
            columns: ["org_id"]
            referencedRelation: "organizations"
            referencedColumns: ["id"]
          },
        ]
      }
      retrain_proposals: {
        Row: {
          ab_eval_job_id: string | null
          created_at: string
          decided_at: string | null
          drift_alert_id: string | null
          fine_tune_job_id: string | null
          id: string
          job_id: string | null
          new_examples: number
          org_id: string
          reason: string
          since: string | null
          status: string
        }
        Insert: {
          ab_eval_job_id?: string | null
          created_at?: string
          decided_at?: string | null
          drift_alert_id?: string | null
          fine_tune_job_id?: string | null
          id?: string
          job_id?: string | null
          new_examples: number
          org_id: string
          reason: string
          since?: string | null
          status?: string
        }
        Update: {
          ab_eval_job_id?: string | null
          created_at?: string
          decided_at?: string | null
          drift_alert_id?: string | null
          fine_tune_job_id?: string | null
          id?: string
          job_id?: string | null
          new_examples?: number
          org_id?: string
          reason?: string
          since?: string | null
          status?: string
        }
        Relationships: [
          {
            foreignKeyName: "retrain_proposals_org_id_ab_eval_job_id_fkey"
            columns: ["org_id", "ab_eval_job_id"]
            referencedRelation: "jobs"
            referencedColumns: ["org_id", "id"]
          },
          {
            foreignKeyName: "retrain_proposals_org_id_drift_alert_id_fkey"
            columns: ["org_id", "drift_alert_id"]
            referencedRelation: "drift_alerts"
            referencedColumns: ["org_id", "id"]
          },
          {
            foreignKeyName: "retrain_proposals_org_id_fine_tune_job_id_fkey"
            columns: ["org_id", "fine_tune_job_id"]
            referencedRelation: "jobs"
            referencedColumns: ["org_id", "id"]
          },
          {
            foreignKeyName: "retrain_proposals_org_id_fkey"
            columns: ["org_id"]
            referencedRelation: "organizations"
            referencedColumns: ["id"]
          },
          {
            foreignKeyName: "retrain_proposals_org_id_job_id_fkey"
            columns: ["org_id", "job_id"]
            referencedRelation: "jobs"
            referencedColumns: ["org_id", "id"]
          },
        ]
      }
      review_assignments: {
        Row: {
          assigned_by: string | null
          created_at: string
          id: string
          item_id: string
          lease_expires_at: string | null
          leased_at: string
          org_id: string
          queue_id: string
          reviewer_id: string
          slot: number
          status: string
          submitted_at: string | null
        }
        Insert: {
          assigned_by?: string | null
          created_at?: string
          id?: string
          item_id: string
          lease_expires_at?: string | null
          leased_at?: string
          org_id: string
          queue_id: string
          reviewer_id: string
          slot: number
          status: string
          submitted_at?: string | null
        }
        Update: {
          assigned_by?: string | null
          created_at?: string
          id?: string
          item_id?: string
          lease_expires_at?: string | null
          leased_at?: string
          org_id?: string
          queue_id?: string
          reviewer_id?: string
          slot?: number
          status?: string
          submitted_at?: string | null
        }
        Relationships: [
          {
            foreignKeyName: "review_assignments_org_id_fkey"
            columns: ["org_id"]
            referencedRelation: "organizations"
            referencedColumns: ["id"]
          },
          {
            foreignKeyName: "review_assignments_org_id_item_id_fkey"
            columns: ["org_id", "item_id"]
            referencedRelation: "review_items"
            referencedColumns: ["org_id", "id"]
          },
          {
            foreignKeyName: "review_assignments_org_id_queue_id_fkey"
            columns: ["org_id", "queue_id"]
            referencedRelation: "review_queues"
            referencedColumns: ["org_id", "id"]
          },
        ]
      }
      review_items: {
        Row: {
          context: NonNullable<Json>
          created_at: string
          feedback_id: string | null
          id: string
          is_pairwise: boolean | null
          org_id: string
          output_a: string | null
          output_b: string | null
          position: number
          query: string
          queue_id: string
          response: string
          source_id: string
          source_kind: string
          status: string
          submitted_count: number
        }
        Insert: {
          context?: NonNullable<Json>
          created_at?: string
          feedback_id?: string | null
          id?: string
          is_pairwise?: never
          org_id: string
          output_a?: string | null
          output_b?: string | null
          position: number
          query?: string
          queue_id: string
          response?: string
          source_id: string
          source_kind: string
          status?: string
          submitted_count?: number
        }
        Update: {
          context?: NonNullable<Json>
          created_at?: string
          feedback_id?: string | null
          id?: string
          is_pairwise?: never
          org_id?: string
          output_a?: string | null
          output_b?: string | null
          position?: number
          query?: string
          queue_id?: string
          response?: string
          source_id?: string
          source_kind?: string
          status?: string
          submitted_count?: number
        }
        Relationships: [
          {
            foreignKeyName: "review_items_org_id_feedback_id_fkey"
            columns: ["org_id", "feedback_id"]
            referencedRelation: "feedback"
            referencedColumns: ["org_id", "id"]
          },
          {
            foreignKeyName: "review_items_org_id_fkey"
            columns: ["org_id"]
            referencedRelation: "organizations"
            referencedColumns: ["id"]
          },
          {
            foreignKeyName: "review_items_org_id_queue_id_fkey"
            columns: ["org_id", "queue_id"]
            referencedRelation: "review_queues"
            referencedColumns: ["org_id", "id"]
          },
        ]
      }
      review_queues: {
        Row: {
          assignees: string[]
          assignment_mode: string
          created_at: string
          created_by: string | null
          description: string
          disagreement_threshold: number
          id: string
          lease_seconds: number
          name: string
          org_id: string
          overlap: number
          score_config_ids: string[]
          source: NonNullable<Json>
          source_kind: string
          status: string
          updated_at: string
        }
        Insert: {
          assignees?: string[]
          assignment_mode?: string
          created_at?: string
          created_by?: string | null
          description?: string
          disagreement_threshold?: number
          id?: string
          lease_seconds?: number
          name: string
          org_id: string
          overlap?: number
          score_config_ids: string[]
          source?: NonNullable<Json>
          source_kind: string
          status?: string
          updated_at?: string
        }
        Update: {
          assignees?: string[]
          assignment_mode?: string
          created_at?: string
          created_by?: string | null
          description?: string
          disagreement_threshold?: number
          id?: string
          lease_seconds?: number
          name?: string
          org_id?: string
          overlap?: number
          score_config_ids?: string[]
          source?: NonNullable<Json>
          source_kind?: string
          status?: string
          updated_at?: string
        }
        Relationships: [
          {
            foreignKeyName: "review_queues_org_id_fkey"
            columns: ["org_id"]
            referencedRelation: "organizations"
            referencedColumns: ["id"]
          },
        ]
      }
      review_reports: {
        Row: {
          computed_at: string
          finals: NonNullable<Json>
          finals_digest: string | null
          org_id: string
          queue_id: string
          report: NonNullable<Json>
          scores_count: number
        }
        Insert: {
          computed_at?: string
          finals?: NonNullable<Json>
          finals_digest?: string | null
          org_id: string
          queue_id: string
          report: NonNullable<Json>
          scores_count: number
        }
        Update: {
          computed_at?: string
          finals?: NonNullable<Json>
          finals_digest?: string | null
          org_id?: string
          queue_id?: string
          report?: NonNullable<Json>
          scores_count?: number
        }
        Relationships: [
          {
            foreignKeyName: "review_reports_org_id_fkey"
            columns: ["org_id"]
            referencedRelation: "organizations"
            referencedColumns: ["id"]
          },
          {
            foreignKeyName: "review_reports_org_id_queue_id_fkey"
            columns: ["org_id", "queue_id"]
            referencedRelation: "review_queues"
            referencedColumns: ["org_id", "id"]
          },
        ]
      }
      score_configs: {
        Row: {
          categories: string[]
          created_at: string
          created_by: string | null
          description: string
          frozen_at: string | null
          id: string
          kind: string
          levels: NonNullable<Json>
          max_value: number | null
          min_value: number | null
          multi: boolean
          name: string
          org_id: string
          step: number | null
          updated_at: string
          version: number
        }
        Insert: {
          categories?: string[]
          created_at?: string
          created_by?: string | null
          description?: string
          frozen_at?: string | null
          id?: string
          kind: string
          levels?: NonNullable<Json>
          max_value?: number | null
          min_value?: number | null
          multi?: boolean
          name: string
          org_id: string
          step?: number | null
          updated_at?: string
          version: number
        }
        Update: {
          categories?: string[]
          created_at?: string
          created_by?: string | null
          description?: string
          frozen_at?: string | null
          id?: string
          kind?: string
          levels?: NonNullable<Json>
          max_value?: number | null
          min_value?: number | null
          multi?: boolean
          name?: string
          org_id?: string
          step?: number | null
          updated_at?: string
          version?: number
        }
        Relationships: [
          {
            foreignKeyName: "score_configs_org_id_fkey"
            columns: ["org_id"]
            referencedRelation: "organizations"
            referencedColumns: ["id"]
          },
        ]
      }
      scores: {
        Row: {
          assignment_id: string
          created_at: string
          id: string
          item_id: string
          org_id: string
          queue_id: string
          reviewer_id: string
          score_config_id: string
          value: NonNullable<Json>
        }
        Insert: {
          assignment_id: string
          created_at?: string
          id?: string
          item_id: string
          org_id: string
          queue_id: string
          reviewer_id: string
          score_config_id: string
          value: NonNullable<Json>
        }
        Update: {
          assignment_id?: string
          created_at?: string
          id?: string
          item_id?: string
          org_id?: string
          queue_id?: string
          reviewer_id?: string
          score_config_id?: string
          value?: NonNullable<Json>
        }
        Relationships: [
          {
            foreignKeyName: "scores_org_id_assignment_id_fkey"
            columns: ["org_id", "assignment_id"]
            referencedRelation: "review_assignments"
            referencedColumns: ["org_id", "id"]
          },
          {
            foreignKeyName: "scores_org_id_fkey"
            columns: ["org_id"]
            referencedRelation: "organizations"
            referencedColumns: ["id"]
          },
          {
            foreignKeyName: "scores_org_id_item_id_fkey"
            columns: ["org_id", "item_id"]
            referencedRelation: "review_items"
            referencedColumns: ["org_id", "id"]
          },
          {
            foreignKeyName: "scores_org_id_queue_id_fkey"
            columns: ["org_id", "queue_id"]
            referencedRelation: "review_queues"
            referencedColumns: ["org_id", "id"]
          },
          {
            foreignKeyName: "scores_org_id_score_config_id_fkey"
            columns: ["org_id", "score_config_id"]
            referencedRelation: "score_configs"
            referencedColumns: ["org_id", "id"]
          },
        ]
      }
      training_examples: {
        Row: {
          answer: string
          created_at: string
          created_by: string | null
          id: string
          org_id: string
          query: string
          source_case_id: string | null
          tags: string[]
        }
        Insert: {
          answer: string
          created_at?: string
          created_by?: string | null
          id?: string
          org_id: string
          query: string
          source_case_id?: string | null
          tags?: string[]
        }
        Update: {
          answer?: string
          created_at?: string
          created_by?: string | null
          id?: string
          org_id?: string
          query?: string
          source_case_id?: string | null
          tags?: string[]
        }
        Relationships: [
          {
            foreignKeyName: "training_examples_org_id_fkey"
            columns: ["org_id"]
            referencedRelation: "organizations"
            referencedColumns: ["id"]
          },
          {
            foreignKeyName: "training_examples_org_id_source_case_id_fkey"
            columns: ["org_id", "source_case_id"]
            referencedRelation: "improvement_cases"
            referencedColumns: ["org_id", "id"]
          },
        ]
      }
    }
    Views: {
      [_ in never]: never
    }
    Functions: {
      accept_invitation: {
        Args: { p_invitation_id: string }
        Returns: {
          created_at: string
          id: string
          org_id: string
          role: Database["public"]["Enums"]["member_role"]
          user_id: string
        }
        SetofOptions: {
          from: "*"
          to: "memberships"
          isOneToOne: true
          isSetofReturn: false
        }
      }
      accept_retrain_proposal: {
        Args: { p_proposal_id: string }
        Returns: Json
      }
      acknowledge_alert: {
        Args: { p_alert_id: string; p_note?: string }
        Returns: {
          ack_note: string | null
          acknowledged_at: string | null
          acknowledged_by: string | null
          clear_since: string | null
          comparator: string
          id: string
          last_evaluated_at: string
          last_sample: number | null
          last_value: number | null
          level: string
          link: string | null
          metric: string
          muted_until: string | null
          opened_at: string
          org_id: string
          resolved_at: string | null
          rule_id: string
          sample: number | null
          scope_key: string
          status: string
          threshold: number
          value: number | null
        }
        SetofOptions: {
          from: "*"
          to: "alerts"
          isOneToOne: true
          isSetofReturn: false
        }
      }
      adjudicate: {
        Args: {
          p_item: string
          p_reason: string
          p_score_config: string
          p_value: Json
        }
        Returns: {
          created_at: string
          decided_by: string | null
          id: string
          item_id: string
          org_id: string
          queue_id: string
          reason: string
          score_config_id: string
          updated_at: string
          value: NonNullable<Json>
        }
        SetofOptions: {
          from: "*"
          to: "adjudications"
          isOneToOne: true
          isSetofReturn: false
        }
      }
      assign_review_item: {
        Args: { p_item: string; p_reviewer: string }
        Returns: {
          assigned_by: string | null
          created_at: string
          id: string
          item_id: string
          lease_expires_at: string | null
          leased_at: string
          org_id: string
          queue_id: string
          reviewer_id: string
          slot: number
          status: string
          submitted_at: string | null
        }
        SetofOptions: {
          from: "*"
          to: "review_assignments"
          isOneToOne: true
          isSetofReturn: false
        }
      }
      board_cost: {
        Args: { p_from: string; p_org: string; p_to: string }
        Returns: {
          cost_usd: number
          day: string
          error_rate: number
          errors: number
          function_name: string
          input_tokens: number
          latency_avg_ms: number
          latency_p50_ms: number
          latency_p95_ms: number
          model: string
          output_tokens: number
          requests: number
        }[]
      }
      board_online_eval: {
        Args: { p_bucket?: string; p_from: string; p_org: string; p_to: string }
        Returns: {
          bucket: string
          evaluator_name: string
          evaluator_version: number
          mean_score: number
          n: number
          rule_id: string
        }[]
      }
      board_quality: {
        Args: { p_from: string; p_org: string; p_to: string }
        Returns: Json
      }
      board_review: {
        Args: { p_from: string; p_org: string; p_to: string }
        Returns: Json
      }
      build_dataset_from_ai_requests: {
        Args: {
          p_function_name?: string
          p_limit?: number
          p_model?: string
          p_name: string
          p_org_id: string
        }
        Returns: {
          created_at: string
          created_by: string | null
          dataset_id: string
          doc_problems: string[]
          doc_stored_seq: number
          id: string
          item_count: number
          org_id: string
          published_at: string | null
          published_by: string | null
          source: NonNullable<Json>
          splits: Json | null
          status: string
          version: number
        }
        SetofOptions: {
          from: "*"
          to: "dataset_versions"
          isOneToOne: true
          isSetofReturn: false
        }
      }
      build_dataset_from_examples: {
        Args: {
          p_limit?: number
          p_name: string
          p_only_cases?: boolean
          p_org_id: string
          p_tags?: string[]
        }
        Returns: {
          created_at: string
          created_by: string | null
          dataset_id: string
          doc_problems: string[]
          doc_stored_seq: number
          id: string
          item_count: number
          org_id: string
          published_at: string | null
          published_by: string | null
          source: NonNullable<Json>
          splits: Json | null
          status: string
          version: number
        }
        SetofOptions: {
          from: "*"
          to: "dataset_versions"
          isOneToOne: true
          isSetofReturn: false
        }
      }
      build_dataset_from_feedback: {
        Args: {
          p_filter?: Json
          p_limit?: number
          p_name: string
          p_org_id: string
        }
        Returns: {
          created_at: string
          created_by: string | null
          dataset_id: string
          doc_problems: string[]
          doc_stored_seq: number
          id: string
          item_count: number
          org_id: string
          published_at: string | null
          published_by: string | null
          source: NonNullable<Json>
          splits: Json | null
          status: string
          version: number
        }
        SetofOptions: {
          from: "*"
          to: "dataset_versions"
          isOneToOne: true
          isSetofReturn: false
        }
      }
      can_access_doc: { Args: { doc_id: string }; Returns: boolean }
      cancel_job: {
        Args: { p_job_id: string }
        Returns: Database["public"]["Enums"]["job_status"]
      }
      claim_next_review_item: { Args: { p_queue: string }; Returns: Json }
      create_ingest_key: {
        Args: { p_name: string; p_org: string }
        Returns: string
      }
      create_prompt_version: {
        Args: {
          p_model: string
          p_params: Json
          p_parent_version_id: string
          p_prompt_id: string
          p_status: Database["public"]["Enums"]["prompt_status"]
          p_system_template: string
          p_template: string
          p_variables: Json
        }
        Returns: {
          author_id: string | null
          created_at: string
          id: string
          model: string
          org_id: string
          params: NonNullable<Json>
          parent_version_id: string | null
          promoted_at: string | null
          prompt_id: string
          status: Database["public"]["Enums"]["prompt_status"]
          system_template: string
          template: string
          variables: NonNullable<Json>
          version: number
        }
        SetofOptions: {
          from: "*"
          to: "prompt_versions"
          isOneToOne: true
          isSetofReturn: false
        }
      }
      dataset_split_overlap: {
        Args: { p_version_id: string }
        Returns: {
          items: number
          model_id: string
          model_name: string
          overlapping: number
          served_model: string
          split: string
        }[]
      }
      dataset_training_overlap: {
        Args: { p_version_id: string }
        Returns: {
          items: number
          model_id: string
          model_name: string
          overlapping: number
          served_model: string
        }[]
      }
      decide_improvement_case: {
        Args: {
          p_case_id: string
          p_decision: string
          p_final_text?: string
          p_reason?: string
          p_tags?: string[]
        }
        Returns: Json
      }
      doc_append_update: {
        Args: { p_client_id?: number; p_doc_id: string; p_update: string }
        Returns: number
      }
      doc_compact: {
        Args: {
          p_base_snapshot_id: number
          p_doc_id: string
          p_merged_ids: number[]
          p_snapshot: string
        }
        Returns: number
      }
      doc_load: {
        Args: { p_doc_id: string }
        Returns: {
          data: string
          id: number
          kind: string
        }[]
      }
      doc_may_write: { Args: { p_doc_id: string }; Returns: boolean }
      experiment_comparison_page: {
        Args: {
          p_experiment_id: string
          p_limit?: number
          p_metric?: string
          p_offset?: number
          p_q?: string
          p_regressions?: boolean
          p_sort?: string
          p_variant?: number
        }
        Returns: {
          delta: number
          expected: string
          item_id: string
          item_position: number
          query: string
          results: Json
          total: number
        }[]
      }
      experiment_variant_stats: {
        Args: { p_experiment_id: string }
        Returns: {
          cost_usd: number
          errors: number
          latency_p50: number
          latency_p90: number
          latency_p99: number
          metrics: Json
          n: number
          variant: number
          vs_baseline: Json
        }[]
      }
      import_dataset_items: {
        Args: {
          p_items: Json
          p_name: string
          p_org_id: string
          p_source?: Json
        }
        Returns: {
          created_at: string
          created_by: string | null
          dataset_id: string
          doc_problems: string[]
          doc_stored_seq: number
          id: string
          item_count: number
          org_id: string
          published_at: string | null
          published_by: string | null
          source: NonNullable<Json>
          splits: Json | null
          status: string
          version: number
        }
        SetofOptions: {
          from: "*"
          to: "dataset_versions"
          isOneToOne: true
          isSetofReturn: false
        }
      }
      mute_alert: {
        Args: { p_alert_id: string; p_until: string }
        Returns: {
          ack_note: string | null
          acknowledged_at: string | null
          acknowledged_by: string | null
          clear_since: string | null
          comparator: string
          id: string
          last_evaluated_at: string
          last_sample: number | null
          last_value: number | null
          level: string
          link: string | null
          metric: string
          muted_until: string | null
          opened_at: string
          org_id: string
          resolved_at: string | null
          rule_id: string
          sample: number | null
          scope_key: string
          status: string
          threshold: number
          value: number | null
        }
        SetofOptions: {
          from: "*"
          to: "alerts"
          isOneToOne: true
          isSetofReturn: false
        }
      }
      my_invitations: {
        Args: Record<PropertyKey, never>
        Returns: {
          created_at: string
          id: string
          invited_by_name: string
          org_id: string
          org_name: string
          role: Database["public"]["Enums"]["member_role"]
        }[]
      }
      my_organizations: {
        Args: Record<PropertyKey, never>
        Returns: {
          name: string
          org_id: string
          role: Database["public"]["Enums"]["member_role"]
          slug: string
        }[]
      }
      new_dataset_draft: {
        Args: { p_dataset_id: string }
        Returns: {
          created_at: string
          created_by: string | null
          dataset_id: string
          doc_problems: string[]
          doc_stored_seq: number
          id: string
          item_count: number
          org_id: string
          published_at: string | null
          published_by: string | null
          source: NonNullable<Json>
          splits: Json | null
          status: string
          version: number
        }
        SetofOptions: {
          from: "*"
          to: "dataset_versions"
          isOneToOne: true
          isSetofReturn: false
        }
      }
      notification_channel_secret: {
        Args: { p_channel_id: string }
        Returns: string
      }
      online_judge_usage: {
        Args: { p_org: string }
        Returns: {
          calls: number
          cap: number
          cost_usd: number
          rule_id: string
        }[]
      }
      open_improvement_case: {
        Args: {
          p_feedback_id: string
          p_flags?: Json
          p_model?: string
          p_suggested: string
        }
        Returns: {
          approved_by: string | null
          bad_response: string
          created_at: string
          created_by: string | null
          decided_at: string | null
          feedback_id: string
          flags: NonNullable<Json>
          id: string
          org_id: string
          query: string
          reject_reason: string | null
          status: string
          suggested_response: string
          suggestion_model: string | null
          updated_at: string
        }
        SetofOptions: {
          from: "*"
          to: "improvement_cases"
          isOneToOne: true
          isSetofReturn: false
        }
      }
      opt_finalize: {
        Args: { p_final_prompt: string; p_model: string; p_session_id: string }
        Returns: {
          created_at: string
          final_prompt: string | null
          id: string
          initial_prompt: string
          org_id: string
          prompt_id: string | null
          rounds: number
          saved_version_id: string | null
          selections: NonNullable<Json>
          status: Database["public"]["Enums"]["opt_session_status"]
          updated_at: string
          user_id: string
          working_memory: NonNullable<Json>
        }
        SetofOptions: {
          from: "*"
          to: "opt_sessions"
          isOneToOne: true
          isSetofReturn: false
        }
      }
      opt_open_session: {
        Args: {
          p_id: string
          p_initial_prompt: string
          p_model: string
          p_org_id: string
          p_prompt_id: string
          p_questions: Json
          p_selections: Json
        }
        Returns: {
          created_at: string
          final_prompt: string | null
          id: string
          initial_prompt: string
          org_id: string
          prompt_id: string | null
          rounds: number
          saved_version_id: string | null
          selections: NonNullable<Json>
          status: Database["public"]["Enums"]["opt_session_status"]
          updated_at: string
          user_id: string
          working_memory: NonNullable<Json>
        }
        SetofOptions: {
          from: "*"
          to: "opt_sessions"
          isOneToOne: true
          isSetofReturn: false
        }
      }
      opt_record_round: {
        Args: {
          p_answers: Json
          p_expected_rounds: number
          p_max_rounds?: number
          p_memory: Json
          p_model: string
          p_questions: Json
          p_rationale: string
          p_session_id: string
        }
        Returns: {
          created_at: string
          final_prompt: string | null
          id: string
          initial_prompt: string
          org_id: string
          prompt_id: string | null
          rounds: number
          saved_version_id: string | null
          selections: NonNullable<Json>
          status: Database["public"]["Enums"]["opt_session_status"]
          updated_at: string
          user_id: string
          working_memory: NonNullable<Json>
        }
        SetofOptions: {
          from: "*"
          to: "opt_sessions"
          isOneToOne: true
          isSetofReturn: false
        }
      }
      override_prompt_version: {
        Args: { p_reason: string; p_version_id: string }
        Returns: {
          author_id: string | null
          created_at: string
          id: string
          model: string
          org_id: string
          params: NonNullable<Json>
          parent_version_id: string | null
          promoted_at: string | null
          prompt_id: string
          status: Database["public"]["Enums"]["prompt_status"]
          system_template: string
          template: string
          variables: NonNullable<Json>
          version: number
        }
        SetofOptions: {
          from: "*"
          to: "prompt_versions"
          isOneToOne: true
          isSetofReturn: false
        }
      }
      promote_prompt_version_from_gate: {
        Args: { p_actor?: string; p_job_id: string; p_version_id: string }
        Returns: {
          author_id: string | null
          created_at: string
          id: string
          model: string
          org_id: string
          params: NonNullable<Json>
          parent_version_id: string | null
          promoted_at: string | null
          prompt_id: string
          status: Database["public"]["Enums"]["prompt_status"]
          system_template: string
          template: string
          variables: NonNullable<Json>
          version: number
        }
        SetofOptions: {
          from: "*"
          to: "prompt_versions"
          isOneToOne: true
          isSetofReturn: false
        }
      }
      promote_prompt_version_from_review: {
        Args: {
          p_actor: string
          p_evidence: Json
          p_job_id: string
          p_queue_id: string
          p_version_id: string
        }
        Returns: {
          author_id: string | null
          created_at: string
          id: string
          model: string
          org_id: string
          params: NonNullable<Json>
          parent_version_id: string | null
          promoted_at: string | null
          prompt_id: string
          status: Database["public"]["Enums"]["prompt_status"]
          system_template: string
          template: string
          variables: NonNullable<Json>
          version: number
        }
        SetofOptions: {
          from: "*"
          to: "prompt_versions"
          isOneToOne: true
          isSetofReturn: false
        }
      }
      prompt_version_metrics: {
        Args: { p_prompt_id: string; p_since?: string }
        Returns: {
          author_id: string
          avg_latency_ms: number
          avg_rating: number
          cost_per_request_usd: number
          cost_usd: number
          created_at: string
          error_rate: number
          errors: number
          feedback_count: number
          input_tokens: number
          last_eval: Json
          model: string
          output_tokens: number
          p95_latency_ms: number
          promoted_at: string
          requests: number
          status: Database["public"]["Enums"]["prompt_status"]
          version: number
          version_id: string
        }[]
      }
      propose_model_version: {
        Args: { p_model_id: string; p_prompt_id: string }
        Returns: {
          author_id: string | null
          created_at: string
          id: string
          model: string
          org_id: string
          params: NonNullable<Json>
          parent_version_id: string | null
          promoted_at: string | null
          prompt_id: string
          status: Database["public"]["Enums"]["prompt_status"]
          system_template: string
          template: string
          variables: NonNullable<Json>
          version: number
        }
        SetofOptions: {
          from: "*"
          to: "prompt_versions"
          isOneToOne: true
          isSetofReturn: false
        }
      }
      publish_dataset_version: {
        Args: { p_version_id: string }
        Returns: {
          created_at: string
          created_by: string | null
          dataset_id: string
          doc_problems: string[]
          doc_stored_seq: number
          id: string
          item_count: number
          org_id: string
          published_at: string | null
          published_by: string | null
          source: NonNullable<Json>
          splits: Json | null
          status: string
          version: number
        }
        SetofOptions: {
          from: "*"
          to: "dataset_versions"
          isOneToOne: true
          isSetofReturn: false
        }
      }
      raise_experiment_cost_cap: {
        Args: { p_cost_cap_usd: number; p_experiment_id: string }
        Returns: Database["public"]["Enums"]["job_status"]
      }
      release_review_item: { Args: { p_item: string }; Returns: undefined }
      resolve_ingest_key: { Args: { p_key: string }; Returns: string }
      resume_experiment: {
        Args: { p_experiment_id: string }
        Returns: Database["public"]["Enums"]["job_status"]
      }
      review_throughput: {
        Args: { p_days?: number; p_org: string }
        Returns: {
          day: string
          items: number
          reviewer_id: string
        }[]
      }
      rollback_prompt: {
        Args: {
          p_prompt_id: string
          p_reason?: string
          p_target_version_id?: string
        }
        Returns: {
          author_id: string | null
          created_at: string
          id: string
          model: string
          org_id: string
          params: NonNullable<Json>
          parent_version_id: string | null
          promoted_at: string | null
          prompt_id: string
          status: Database["public"]["Enums"]["prompt_status"]
          system_template: string
          template: string
          variables: NonNullable<Json>
          version: number
        }
        SetofOptions: {
          from: "*"
          to: "prompt_versions"
          isOneToOne: true
          isSetofReturn: false
        }
      }
      send_test_notification: {
        Args: { p_channel_id: string }
        Returns: string
      }
      set_prompt_version_candidate: {
        Args: { p_candidate?: boolean; p_version_id: string }
        Returns: {
          author_id: string | null
          created_at: string
          id: string
          model: string
          org_id: string
          params: NonNullable<Json>
          parent_version_id: string | null
          promoted_at: string | null
          prompt_id: string
          status: Database["public"]["Enums"]["prompt_status"]
          system_template: string
          template: string
          variables: NonNullable<Json>
          version: number
        }
        SetofOptions: {
          from: "*"
          to: "prompt_versions"
          isOneToOne: true
          isSetofReturn: false
        }
      }
      split_dataset_version: {
        Args: {
          p_seed?: string
          p_test?: number
          p_train?: number
          p_validation?: number
          p_version_id: string
        }
        Returns: {
          items: number
          split: string
        }[]
      }
      start_job: {
        Args: {
          p_base_model?: string
          p_config?: Json
          p_job_key?: string
          p_kind: Database["public"]["Enums"]["job_kind"]
          p_name: string
          p_org_id: string
          p_trained_on_tags?: string[]
        }
        Returns: Json
      }
      submit_scores: { Args: { p_item: string; p_scores: Json }; Returns: Json }
      take_llm_tokens: {
        Args: { p_org: string; p_scope?: string }
        Returns: {
          allowed: boolean
          remaining: number
          retry_after_ms: number
        }[]
      }
    }
    Enums: {
      job_kind:
        | "fine_tune"
        | "ab_eval"
        | "drift"
        | "experiment"
        | "themes"
        | "review_judge"
      job_status: "pending" | "running" | "completed" | "failed" | "cancelled"
      member_role: "admin" | "curator" | "reviewer" | "manager"
      opt_session_status: "pending" | "clarifying" | "ready" | "finalized"
      prompt_status: "draft" | "candidate" | "production" | "retired"
    }
    CompositeTypes: {
      [_ in never]: never
    }
  }
}

type DatabaseWithoutInternals = Omit<Database, "__InternalSupabase">

type DefaultSchema = DatabaseWithoutInternals[Extract<keyof Database, "public">]

export type Tables<
  DefaultSchemaTableNameOrOptions extends
    | keyof (DefaultSchema["Tables"] & DefaultSchema["Views"])
    | { schema: keyof DatabaseWithoutInternals },
  TableName extends (DefaultSchemaTableNameOrOptions extends {
    schema: keyof DatabaseWithoutInternals
  }
    ? keyof (DatabaseWithoutInternals[DefaultSchemaTableNameOrOptions["schema"]]["Tables"] &
        DatabaseWithoutInternals[DefaultSchemaTableNameOrOptions["schema"]]["Views"])
    : never) = never,
> = DefaultSchemaTableNameOrOptions extends {
  schema: keyof DatabaseWithoutInternals
}
  ? (DatabaseWithoutInternals[DefaultSchemaTableNameOrOptions["schema"]]["Tables"] &
      DatabaseWithoutInternals[DefaultSchemaTableNameOrOptions["schema"]]["Views"])[TableName] extends {
      Row: infer R
    }
    ? R
    : never
  : DefaultSchemaTableNameOrOptions extends keyof (DefaultSchema["Tables"] &
        DefaultSchema["Views"])
    ? (DefaultSchema["Tables"] &
        DefaultSchema["Views"])[DefaultSchemaTableNameOrOptions] extends {
        Row: infer R
      }
      ? R
      : never
    : never

export type TablesInsert<
  DefaultSchemaTableNameOrOptions extends
    | keyof DefaultSchema["Tables"]
    | { schema: keyof DatabaseWithoutInternals },
  TableName extends (DefaultSchemaTableNameOrOptions extends {
    schema: keyof DatabaseWithoutInternals
  }
    ? keyof DatabaseWithoutInternals[DefaultSchemaTableNameOrOptions["schema"]]["Tables"]
    : never) = never,
> = DefaultSchemaTableNameOrOptions extends {
  schema: keyof DatabaseWithoutInternals
}
  ? DatabaseWithoutInternals[DefaultSchemaTableNameOrOptions["schema"]]["Tables"][TableName] extends {
      Insert: infer I
    }
    ? I
    : never
  : DefaultSchemaTableNameOrOptions extends keyof DefaultSchema["Tables"]
    ? DefaultSchema["Tables"][DefaultSchemaTableNameOrOptions] extends {
        Insert: infer I
      }
      ? I
      : never
    : never

export type TablesUpdate<
  DefaultSchemaTableNameOrOptions extends
    | keyof DefaultSchema["Tables"]
    | { schema: keyof DatabaseWithoutInternals },
  TableName extends (DefaultSchemaTableNameOrOptions extends {
    schema: keyof DatabaseWithoutInternals
  }
    ? keyof DatabaseWithoutInternals[DefaultSchemaTableNameOrOptions["schema"]]["Tables"]
    : never) = never,
> = DefaultSchemaTableNameOrOptions extends {
  schema: keyof DatabaseWithoutInternals
}
  ? DatabaseWithoutInternals[DefaultSchemaTableNameOrOptions["schema"]]["Tables"][TableName] extends {
      Update: infer U
    }
    ? U
    : never
  : DefaultSchemaTableNameOrOptions extends keyof DefaultSchema["Tables"]
    ? DefaultSchema["Tables"][DefaultSchemaTableNameOrOptions] extends {
        Update: infer U
      }
      ? U
      : never
    : never

export type Enums<
  DefaultSchemaEnumNameOrOptions extends
    | keyof DefaultSchema["Enums"]
    | { schema: keyof DatabaseWithoutInternals },
  EnumName extends (DefaultSchemaEnumNameOrOptions extends {
    schema: keyof DatabaseWithoutInternals
  }
    ? keyof DatabaseWithoutInternals[DefaultSchemaEnumNameOrOptions["schema"]]["Enums"]
    : never) = never,
> = DefaultSchemaEnumNameOrOptions extends {
  schema: keyof DatabaseWithoutInternals
}
  ? DatabaseWithoutInternals[DefaultSchemaEnumNameOrOptions["schema"]]["Enums"][EnumName]
  : DefaultSchemaEnumNameOrOptions extends keyof DefaultSchema["Enums"]
    ? DefaultSchema["Enums"][DefaultSchemaEnumNameOrOptions]
    : never

export type CompositeTypes<
  PublicCompositeTypeNameOrOptions extends
    | keyof DefaultSchema["CompositeTypes"]
    | { schema: keyof DatabaseWithoutInternals },
  CompositeTypeName extends (PublicCompositeTypeNameOrOptions extends {
    schema: keyof DatabaseWithoutInternals
  }
    ? keyof DatabaseWithoutInternals[PublicCompositeTypeNameOrOptions["schema"]]["CompositeTypes"]
    : never) = never,
> = PublicCompositeTypeNameOrOptions extends {
  schema: keyof DatabaseWithoutInternals
}
  ? DatabaseWithoutInternals[PublicCompositeTypeNameOrOptions["schema"]]["CompositeTypes"][CompositeTypeName]
  : PublicCompositeTypeNameOrOptions extends keyof DefaultSchema["CompositeTypes"]
    ? DefaultSchema["CompositeTypes"][PublicCompositeTypeNameOrOptions]
    : never

export const Constants = {
  public: {
    Enums: {
      job_kind: [
        "fine_tune",
        "ab_eval",
        "drift",
        "experiment",
        "themes",
        "review_judge",
      ],
      job_status: ["pending", "running", "completed", "failed", "cancelled"],
      member_role: ["admin", "curator", "reviewer", "manager"],
      opt_session_status: ["pending", "clarifying", "ready", "finalized"],
      prompt_status: ["draft", "candidate", "production", "retired"],
    },
  },
} as const

