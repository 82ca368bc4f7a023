-- Demo data for the embedded default; applied once, on a fresh database, as the superuser in one
-- transaction (after every migration, so the rollup triggers fill the board tables).
--
-- Logins (password `review-demo-1` for all):
--   admin@acme.example.com     admin     Acme Support (acme)
--   curator@acme.example.com   curator   Acme Support
--   reviewer@acme.example.com  reviewer  Acme Support
--   manager@acme.example.com   manager   Acme Support
--   admin@globex.example.com   admin     Globex (globex) — a second tenant, to show isolation
--
-- Deterministic: every "random" choice is a hash of the row number, so two fresh databases hold the
-- same rows (timestamps are relative to the moment of seeding).

-- ---- users ------------------------------------------------------------------------------------
insert into auth.users (id, aud, role, email, encrypted_password, email_confirmed_at, raw_app_meta_data, raw_user_meta_data, created_at, updated_at)
select u.id::uuid, 'authenticated', 'authenticated', u.email,
       extensions.crypt('review-demo-1', extensions.gen_salt('bf', 10)), now() - interval '45 days',
       '{"provider":"email","providers":["email"]}'::jsonb, jsonb_build_object('display_name', u.name),
       now() - interval '45 days', now()
from (values
  ('a0000000-0000-4000-8000-000000000001', 'admin@acme.example.com', 'Ada Admin'),
  ('a0000000-0000-4000-8000-000000000002', 'curator@acme.example.com', 'Carmen Curator'),
  ('a0000000-0000-4000-8000-000000000003', 'reviewer@acme.example.com', 'Ravi Reviewer'),
  ('a0000000-0000-4000-8000-000000000004', 'manager@acme.example.com', 'Mona Manager'),
  ('b0000000-0000-4000-8000-000000000001', 'admin@globex.example.com', 'Gus Globex')
) as u(id, email, name);

insert into auth.identities (id, provider, provider_id, user_id, identity_data, created_at, updated_at)
select gen_random_uuid(), 'email', u.id::text, u.id,
       jsonb_build_object('sub', u.id::text, 'email', u.email, 'email_verified', true), u.created_at, u.created_at
from auth.users u
where u.email in ('admin@acme.example.com', 'curator@acme.example.com', 'reviewer@acme.example.com',
                  'manager@acme.example.com', 'admin@globex.example.com');

-- ---- organizations and memberships (the creator becomes admin through the trigger) ---------------
insert into public.organizations (id, name, slug, created_by, created_at) values
  ('aaaaaaaa-0000-4000-8000-000000000001', 'Acme Support', 'acme', 'a0000000-0000-4000-8000-000000000001', now() - interval '45 days'),
  ('bbbbbbbb-0000-4000-8000-000000000001', 'Globex', 'globex', 'b0000000-0000-4000-8000-000000000001', now() - interval '40 days');

insert into public.memberships (org_id, user_id, role, created_at) values
  ('aaaaaaaa-0000-4000-8000-000000000001', 'a0000000-0000-4000-8000-000000000002', 'curator', now() - interval '44 days'),
  ('aaaaaaaa-0000-4000-8000-000000000001', 'a0000000-0000-4000-8000-000000000003', 'reviewer', now() - interval '44 days'),
  ('aaaaaaaa-0000-4000-8000-000000000001', 'a0000000-0000-4000-8000-000000000004', 'manager', now() - interval '44 days')
on conflict do nothing;

-- ---- prompts -----------------------------------------------------------------------------------
insert into public.prompts (id, org_id, slug, description, created_by, created_at) values
  ('aaaaaaaa-0000-4000-8000-0000000000b1', 'aaaaaaaa-0000-4000-8000-000000000001', 'suggest-answer',
   'Rewrites a badly rated support answer into the answer a senior agent would give.', 'a0000000-0000-4000-8000-000000000001', now() - interval '44 days'),
  ('aaaaaaaa-0000-4000-8000-0000000000b2', 'aaaaaaaa-0000-4000-8000-000000000001', 'judge-pairwise',
   'Pairwise judge for A/B evaluations: which of two answers better resolves the customer''s question.', 'a0000000-0000-4000-8000-000000000001', now() - interval '44 days'),
  ('bbbbbbbb-0000-4000-8000-0000000000b1', 'bbbbbbbb-0000-4000-8000-000000000001', 'suggest-answer',
   'Globex''s answer rewriter.', 'b0000000-0000-4000-8000-000000000001', now() - interval '40 days');

insert into public.prompt_versions (id, org_id, prompt_id, version, system_template, template, variables, model, params, status, parent_version_id, author_id, created_at, promoted_at) values
  ('aaaaaaaa-0000-4000-8000-0000000000c1', 'aaaaaaaa-0000-4000-8000-000000000001', 'aaaaaaaa-0000-4000-8000-0000000000b1', 1,
   E'TASK: suggest-answer\nYou are a senior customer-support agent at Acme. Answer plainly.',
   E'Customer question:\n<query>{{query}}</query>\n\nPrevious answer (rated poorly):\n<bad_answer>{{bad_answer}}</bad_answer>\n\nWrite a better answer.',
   '[{"name": "query", "type": "string", "required": true}, {"name": "bad_answer", "type": "string", "required": true}]', 'offline-strong-1', '{"temperature": 0.4, "max_tokens": 600}', 'retired', null,
   'a0000000-0000-4000-8000-000000000001', now() - interval '44 days', now() - interval '44 days'),
  ('aaaaaaaa-0000-4000-8000-0000000000c2', 'aaaaaaaa-0000-4000-8000-000000000001', 'aaaaaaaa-0000-4000-8000-0000000000b1', 2,
   E'TASK: suggest-answer\nYou are a senior customer-support agent at Acme. Be accurate about policy (30-day refunds, 3–5 business day shipping), link only to acme.example.com/help, and never invent order details. Keep answers under 150 words.',
   E'A customer asked:\n<query>{{query}}</query>\n\nOur assistant answered, and the customer rated it poorly:\n<bad_answer>{{bad_answer}}</bad_answer>\n\nWrite the answer a senior support agent would give: correct, specific, friendly, with the next step the customer should take.',
   '[{"name": "query", "type": "string", "required": true}, {"name": "bad_answer", "type": "string", "required": true}]', 'offline-strong-1', '{"temperature": 0.3, "max_tokens": 600}', 'production', 'aaaaaaaa-0000-4000-8000-0000000000c1',
   'a0000000-0000-4000-8000-000000000002', now() - interval '30 days', now() - interval '28 days'),
  ('aaaaaaaa-0000-4000-8000-0000000000c3', 'aaaaaaaa-0000-4000-8000-000000000001', 'aaaaaaaa-0000-4000-8000-0000000000b1', 3,
   E'TASK: suggest-answer\nYou are a senior customer-support agent at Acme. Never invent order details. Start with the direct answer, then the steps. Keep answers under 120 words. End with the next step.',
   E'Current policy and product facts (use the ones that apply):\n- Double charges: a second charge is usually a pending authorization from a failed payment retry and drops off within 3–5 business days; if both settled, we refund the duplicate the same day.\n- Payment card: go to Settings → Billing → Payment method and choose "Replace card"; the new card is used from the next invoice.\n- VAT invoices: add the VAT number under Settings → Billing → Company details, then open an invoice and click "Regenerate"; invoices from the last 12 months are reissued.\n- Downgrades take effect at the end of the current billing period; from the next renewal you are billed for the new plan.\n- Damaged items qualify for a full refund or a free replacement within 30 days; start at acme.example.com/help/returns with the order number and a photo.\n- Refund timing: refunds are issued within 2 business days of the return arriving at our warehouse; the bank takes 3–10 business days to show it.\n- Sale items follow the same 30-day return policy, except final-sale items.\n- Tracking: see live tracking under Orders → Track; if the carrier shows no movement for 2 business days, we reship at no cost.\n- Canada: we ship to Canada in 5–8 business days; duties and taxes are paid at checkout.\n- Delivery address: before shipping, use Orders → your order → "Change address"; after shipping we ask the carrier to redirect it.\n- Express shipping costs $14.95 and arrives in 1–2 business days for orders placed before 2 pm ET; free over $150.\n- Sign-in after a password reset: type the new password by hand, or use "Email me a sign-in link" on the login page; the link works for 15 minutes.\n- Two-factor authentication: Settings → Security → Two-factor authentication, scan the QR code and enter the 6-digit code; save the recovery codes.\n- Verification email: check spam, resend it from the login page ("Resend verification"); it comes from no-reply@acme.example.com.\n- Account deletion: Settings → Privacy → Delete account; data is deleted within 30 days.\n- API 401: send the key as "Authorization: Bearer <key>", check it is not revoked under Settings → API keys, and call api.acme.example.com.\n- API rate limits: 600 requests per minute per key, bursts up to 100 per second; over it you get 429 with Retry-After.\n- Webhooks: the endpoint must answer 2xx within 10 seconds; after 20 failures it is disabled; the delivery log is under Settings → Webhooks.\n- A 500 on order creation with a discount code is our bug; send the X-Request-Id; meanwhile apply the code with a separate PATCH.\n- X200 blender: the jar, lid and blade assembly are top-rack dishwasher safe; the motor base is not.\n- Warranty: all Acme appliances have a 2-year warranty against defects in materials and workmanship; it does not cover accidental damage or wear parts.\n- Non-profits get 30% off any plan; apply at acme.example.com/help/nonprofit; approval takes 2 business days.\n- Teammates: admins invite them under Settings → Members → Invite; the email link is valid for 7 days.\n\nA customer asked:\n<query>{{query}}</query>\n\nOur assistant answered, and the customer rated it poorly:\n<bad_answer>{{bad_answer}}</bad_answer>\n\nWrite the answer a senior support agent would give.',
   '[{"name": "query", "type": "string", "required": true}, {"name": "bad_answer", "type": "string", "required": true}]', 'offline-strong-1', '{"temperature": 0.3, "max_tokens": 500}', 'candidate', 'aaaaaaaa-0000-4000-8000-0000000000c2',
   'a0000000-0000-4000-8000-000000000002', now() - interval '6 days', null),
  ('aaaaaaaa-0000-4000-8000-0000000000c4', 'aaaaaaaa-0000-4000-8000-000000000001', 'aaaaaaaa-0000-4000-8000-0000000000b2', 1,
   E'TASK: judge-pairwise\nYou compare two support answers to the same question. Prefer the one that is correct, resolves the issue and is concise. Answer with JSON only.',
   E'<query>{{query}}</query>\n<answer_a>{{answer_a}}</answer_a>\n<answer_b>{{answer_b}}</answer_b>\n<reference>{{reference}}</reference>',
   '[{"name": "query", "type": "string", "required": true}, {"name": "answer_a", "type": "string", "required": true}, {"name": "answer_b", "type": "string", "required": true}, {"name": "reference", "type": "string"}]', 'offline-fast-1', '{"temperature": 0}', 'production', null,
   'a0000000-0000-4000-8000-000000000001', now() - interval '44 days', now() - interval '44 days'),
  ('bbbbbbbb-0000-4000-8000-0000000000c1', 'bbbbbbbb-0000-4000-8000-000000000001', 'bbbbbbbb-0000-4000-8000-0000000000b1', 1,
   E'TASK: suggest-answer\nYou are a Globex support specialist.',
   E'Question:\n<query>{{query}}</query>\n\nRejected answer:\n<bad_answer>{{bad_answer}}</bad_answer>\n\nWrite a better one.',
   '[{"name": "query", "type": "string", "required": true}, {"name": "bad_answer", "type": "string", "required": true}]', 'offline-fast-1', '{}', 'production', null,
   'b0000000-0000-4000-8000-000000000001', now() - interval '40 days', now() - interval '40 days');

-- What each prompt served, and since when: rollback targets come from this history.
insert into public.prompt_promotions (org_id, prompt_id, version_id, previous_version_id, kind, reason, actor_id, created_at) values
  ('aaaaaaaa-0000-4000-8000-000000000001', 'aaaaaaaa-0000-4000-8000-0000000000b1', 'aaaaaaaa-0000-4000-8000-0000000000c1', null, 'initial',
   'First version', 'a0000000-0000-4000-8000-000000000001', now() - interval '44 days'),
  ('aaaaaaaa-0000-4000-8000-000000000001', 'aaaaaaaa-0000-4000-8000-0000000000b1', 'aaaaaaaa-0000-4000-8000-0000000000c2', 'aaaaaaaa-0000-4000-8000-0000000000c1', 'override',
   'Policy facts were out of date in v1; shipped before the gate existed', 'a0000000-0000-4000-8000-000000000001', now() - interval '28 days'),
  ('aaaaaaaa-0000-4000-8000-000000000001', 'aaaaaaaa-0000-4000-8000-0000000000b2', 'aaaaaaaa-0000-4000-8000-0000000000c4', null, 'initial',
   'First version', 'a0000000-0000-4000-8000-000000000001', now() - interval '44 days'),
  ('bbbbbbbb-0000-4000-8000-000000000001', 'bbbbbbbb-0000-4000-8000-0000000000b1', 'bbbbbbbb-0000-4000-8000-0000000000c1', null, 'initial',
   'First version', 'b0000000-0000-4000-8000-000000000001', now() - interval '40 days');

-- ---- models and jobs ------------------------------------------------------------------------------
-- The base models each organization serves. Their measurements, and any fine-tuned model, come from
-- real runs of the worker: the fine-tune queued below runs on the first `npm start` (a minute or so on
-- the offline trainer), and its numbers are the trainer's own.
insert into public.models (id, org_id, name, provider, base_model, served_model, created_at) values
  ('aaaaaaaa-0000-4000-8000-0000000000e1', 'aaaaaaaa-0000-4000-8000-000000000001', 'offline-strong-1', 'offline', 'offline-strong-1', 'offline-strong-1', now() - interval '44 days'),
  ('aaaaaaaa-0000-4000-8000-0000000000e3', 'aaaaaaaa-0000-4000-8000-000000000001', 'offline-fast-1', 'offline', 'offline-fast-1', 'offline-fast-1', now() - interval '44 days'),
  ('bbbbbbbb-0000-4000-8000-0000000000e1', 'bbbbbbbb-0000-4000-8000-000000000001', 'offline-fast-1', 'offline', 'offline-fast-1', 'offline-fast-1', now() - interval '40 days');

-- ---- feedback ------------------------------------------------------------------------------------
-- Realistic support-bot conversations: (topic, question, a good answer, a bad answer).
create temp table seed_templates (idx int primary key, topic text, query text, good text, bad text) on commit drop;
insert into seed_templates values
  (1, 'billing', 'Why was I charged twice this month? I see two charges of $49 on my card.',
   'Sorry about that. A second $49 charge usually means a pending authorization from a failed payment retry; it drops off within 3–5 business days. If both charges have settled, reply with the last four digits of your card and we will refund the duplicate the same day.',
   'You were charged twice because you have two subscriptions. Please cancel one of them in your settings.'),
  (2, 'billing', 'How do I change the credit card on my account?',
   'Go to Settings → Billing → Payment method and choose "Replace card". The new card is used from your next invoice; nothing is charged when you switch.',
   'You can''t change your card online. Please mail us a signed form with the new card details.'),
  (3, 'billing', 'Can I get an invoice with my company VAT number on it?',
   'Yes. Add your VAT number under Settings → Billing → Company details, then open any invoice and click "Regenerate" — past invoices from the last 12 months are reissued with the VAT number.',
   'Invoices are generated automatically and cannot be changed.'),
  (4, 'billing', 'I downgraded to the Starter plan but I''m still being billed for Pro.',
   'Downgrades take effect at the end of the current billing period, so this month''s Pro charge is expected. From your next renewal you will be billed for Starter. If you were charged for Pro after the renewal date, tell us and we will refund the difference.',
   'Your plan is Pro. To change plans, upgrade to Enterprise.'),
  (5, 'refunds', 'I want a refund for order {order}, the blender arrived broken.',
   'I''m sorry it arrived damaged. Items that arrive broken qualify for a full refund or a free replacement within 30 days. Start it at acme.example.com/help/returns with order {order} and a photo of the damage; a prepaid label is emailed right away.',
   'Refunds are only possible within 7 days of purchase, so unfortunately order {order} is no longer eligible.'),
  (6, 'refunds', 'How long does a refund take to show up on my card?',
   'Once we receive the return, refunds are issued within 2 business days. Your bank then takes 3–10 business days to show it, depending on the card issuer.',
   'Refunds are instant.'),
  (7, 'refunds', 'Can I return something I bought on sale?',
   'Yes — sale items follow the same 30-day return policy as everything else, except final-sale items marked as such on the product page.',
   'No, sale items can never be returned.'),
  (8, 'refunds', 'I returned order {order} two weeks ago and still have no refund.',
   'Let me check: returns are refunded within 2 business days of arriving at our warehouse, and tracking shows when it arrived. If it was delivered more than 2 business days ago, reply here and we will escalate order {order} to the payments team today.',
   'Please wait another 30 days and then contact your bank.'),
  (9, 'shipping', 'Where is my order {order}? It was supposed to arrive yesterday.',
   'Sorry for the wait. You can see live tracking for order {order} under Orders → Track. If the carrier shows no movement for 2 business days, we will reship it at no cost — just reply here.',
   'Your order {order} was delivered yesterday at 3:14 pm and signed for by J. Smith.'),
  (10, 'shipping', 'Do you ship to Canada?',
   'Yes, we ship to Canada. Standard shipping takes 5–8 business days; duties and taxes are calculated and paid at checkout, so there are no surprise fees on delivery.',
   'We only ship within the United States.'),
  (11, 'shipping', 'Can I change the delivery address after placing an order?',
   'If the order has not shipped yet, go to Orders → your order → "Change address". Once it has shipped, we can ask the carrier to redirect it; reply with the new address and we will try.',
   'Addresses can never be changed after checkout.'),
  (12, 'shipping', 'How much is express shipping?',
   'Express shipping is $14.95 and arrives in 1–2 business days for orders placed before 2 pm ET. Orders over $150 get express shipping free.',
   'Express shipping costs depend on many factors. Please check the website.'),
  (13, 'account', 'I can''t log in, it says my password is wrong but I just reset it.',
   'After a reset, sessions on other devices are signed out and password managers sometimes keep the old password. Try typing the new password by hand. If it still fails, use "Email me a sign-in link" on the login page; the link works for 15 minutes.',
   'Your account has been permanently locked for security reasons.'),
  (14, 'account', 'How do I turn on two-factor authentication?',
   'Go to Settings → Security → Two-factor authentication, choose an authenticator app, scan the QR code and enter the 6-digit code. Save the recovery codes somewhere safe.',
   'Two-factor authentication is not supported.'),
  (15, 'account', 'I never got the verification email.',
   'Check your spam folder and any "Promotions" tab first. You can resend it from the login page ("Resend verification"); it comes from no-reply@acme.example.com. If your company filters email, ask IT to allow that address.',
   'We sent it. Please check your email.'),
  (16, 'account', 'How do I delete my account and all my data?',
   'Go to Settings → Privacy → Delete account. We delete your data within 30 days, and you get an email confirmation when it''s done. Download an export first if you want a copy.',
   'Just stop using the app and your account will be deleted automatically after a week.'),
  (17, 'api', 'I''m getting 401 Unauthorized from the API even with my key.',
   'A 401 means the key was not accepted. Send it as "Authorization: Bearer <key>" (not as a query parameter), check it has not been revoked under Settings → API keys, and make sure you are calling api.acme.example.com, not the sandbox with a live key.',
   'The API is down. Please try again later.'),
  (18, 'api', 'What are the rate limits on the orders API?',
   'The orders API allows 600 requests per minute per key, with bursts up to 100 per second. When you exceed it you get 429 with a Retry-After header; back off for that many seconds.',
   'There are no rate limits.'),
  (19, 'api', 'The webhook for order.created is not firing.',
   'Check Settings → Webhooks: the endpoint must answer 2xx within 10 seconds or the delivery is retried and, after 20 failures, disabled. The delivery log there shows each attempt and the response we got; re-enable the endpoint once it is fixed.',
   'Webhooks were deprecated last year; use polling instead.'),
  (20, 'api', 'Getting a 500 error when I create an order with a discount code.',
   'Thanks for reporting it. A 500 on order creation with a discount is a bug on our side, not your request. Please send the request id from the X-Request-Id response header so we can trace it; meanwhile, applying the code with a separate PATCH works.',
   'A 500 error means your request is malformed. Please check your JSON.'),
  (21, 'product', 'Is the X200 blender dishwasher safe?',
   'The X200 jar, lid and blade assembly are top-rack dishwasher safe. The motor base is not — wipe it with a damp cloth.',
   'Yes, all parts including the base can go in the dishwasher.'),
  (22, 'product', 'What does the warranty cover?',
   'All Acme appliances have a 2-year warranty covering defects in materials and workmanship. It does not cover accidental damage or wear parts like blades; register the product to make claims faster.',
   'There is no warranty.'),
  (23, 'billing', 'Do you offer discounts for non-profits?',
   'Yes — registered non-profits get 30% off any plan. Apply at acme.example.com/help/nonprofit with your registration document; approval usually takes 2 business days.',
   'We do not offer any discounts.'),
  (24, 'account', 'How do I add a teammate to my workspace?',
   'Admins can invite teammates under Settings → Members → Invite. They get an email link valid for 7 days and join with the role you choose.',
   'Only one user per account is allowed.');

create temp table seed_feedback on commit drop as
select g as n, org_id, t.topic, t.query as raw_query, t.good, t.bad, order_no, rating, created_at, h1, h2, h3
from (
  select g, 'aaaaaaaa-0000-4000-8000-000000000001'::uuid as org_id,
         abs(hashtext('fb-t:' || g)) as h1, abs(hashtext('fb-r:' || g)) as h2, abs(hashtext('fb-s:' || g)) as h3,
         '#' || (100000 + abs(hashtext('fb-o:' || g)) % 900000)::text as order_no,
         -- the last 30 days, with more traffic on recent days and a sprinkle of minutes
         now() - ((abs(hashtext('fb-d:' || g)) % 3000) / 100.0) ^ 1.15 / (30 ^ 1.15) * 30 * interval '1 day'
               - (abs(hashtext('fb-m:' || g)) % 1440) * interval '1 minute' * 0.02 as created_at,
         null::int as rating
  from generate_series(1, 420) g
  union all
  select g, 'bbbbbbbb-0000-4000-8000-000000000001'::uuid,
         abs(hashtext('gx-t:' || g)), abs(hashtext('gx-r:' || g)), abs(hashtext('gx-s:' || g)),
         '#' || (500000 + abs(hashtext('gx-o:' || g)) % 400000)::text,
         now() - (abs(hashtext('gx-d:' || g)) % 2900) / 100.0 * interval '1 day', null
  from generate_series(1, 36) g
) s
join seed_templates t on t.idx = 1 + s.h1 % 24;

-- Ratings skew high, with a long tail of 1s (people who are angry rate 1, not 2).
update seed_feedback set rating = case
  when h2 % 100 < 13 then 1 when h2 % 100 < 21 then 2 when h2 % 100 < 31 then 3 when h2 % 100 < 55 then 4 else 5 end;

insert into public.feedback (id, org_id, rating, query, response, comment, status, labels, claimed_by, claimed_at, source, external_id, model, prompt_version_id, created_at, updated_at)
select
  ('f' || lpad(to_hex(case when f.org_id = 'aaaaaaaa-0000-4000-8000-000000000001' then 0 else 1 end), 7, '0') || '-0000-4000-8000-' || lpad(to_hex(f.n), 12, '0'))::uuid,
  f.org_id,
  f.rating,
  replace(f.raw_query, '{order}', f.order_no),
  replace(case when f.rating <= 2 or (f.rating = 3 and f.h3 % 2 = 0) then f.bad else f.good end, '{order}', f.order_no),
  case when f.rating <= 2 and f.h3 % 3 = 0 then (array[
         'This didn''t answer my question at all.', 'That is not what your website says.', 'The link doesn''t work.',
         'I already tried that.', 'Wrong — I was charged, I can see it on my statement.', 'Please let me talk to a human.'])[1 + f.h3 % 6]
       when f.rating = 5 and f.h3 % 7 = 0 then (array['Perfect, thanks!', 'Quick and clear.', 'Solved it, thank you.'])[1 + f.h3 % 3]
  end,
  (case
     when f.created_at > now() - interval '2 days' then case when f.h3 % 10 < 8 then 'new' else 'triaged' end
     when f.rating <= 2 then (array['triaged', 'triaged', 'triaged', 'new', 'dismissed'])[1 + f.h3 % 5]
     when f.rating = 3 then (array['triaged', 'dismissed', 'new'])[1 + f.h3 % 3]
     else (array['dismissed', 'dismissed', 'triaged', 'new'])[1 + f.h3 % 4]
   end)::public.feedback_status,
  array_remove(array[f.topic,
    case when f.rating <= 2 then (array['hallucination', 'outdated-policy', 'wrong-link', 'tone', 'incomplete', 'hallucination'])[1 + f.h2 % 6] end,
    case when f.rating <= 2 and f.h3 % 4 = 0 then 'escalate' end], null),
  case when f.org_id = 'aaaaaaaa-0000-4000-8000-000000000001' and f.rating <= 3 and f.created_at < now() - interval '2 days' and f.h3 % 3 = 0
       then (array['a0000000-0000-4000-8000-000000000003', 'a0000000-0000-4000-8000-000000000002'])[1 + f.h1 % 2]::uuid end,
  case when f.org_id = 'aaaaaaaa-0000-4000-8000-000000000001' and f.rating <= 3 and f.created_at < now() - interval '2 days' and f.h3 % 3 = 0
       then f.created_at + interval '3 hours' end,
  (array['app', 'app', 'app', 'widget', 'email'])[1 + f.h2 % 5],
  'conv_' || lpad(f.n::text, 6, '0'),
  case when f.org_id <> 'aaaaaaaa-0000-4000-8000-000000000001' then 'offline-fast-1'
       else 'offline-strong-1' end,
  case when f.org_id = 'aaaaaaaa-0000-4000-8000-000000000001' then 'aaaaaaaa-0000-4000-8000-0000000000c2'::uuid
       else 'bbbbbbbb-0000-4000-8000-0000000000c1'::uuid end,
  f.created_at,
  f.created_at
from seed_feedback f;

-- ---- improvement cases: the oldest low-rated Acme items, one case per feedback row ---------------
create temp table seed_cases on commit drop as
select row_number() over (order by f.created_at, f.n) as k, f.*
from seed_feedback f
where f.org_id = 'aaaaaaaa-0000-4000-8000-000000000001' and f.rating <= 2
  and f.created_at between now() - interval '26 days' and now() - interval '1 day'
order by f.created_at, f.n
limit 9;

insert into public.improvement_cases (id, org_id, feedback_id, query, bad_response, suggested_response, status, suggestion_model, flags, created_by, approved_by, decided_at, reject_reason, created_at, updated_at)
select ('cccccccc-0000-4000-8000-' || lpad(to_hex(c.k), 12, '0'))::uuid,
       c.org_id,
       fb.id,
       fb.query,
       fb.response,
       replace(c.good, '{order}', c.order_no),
       s.status::public.case_status,
       'offline-strong-1',
       case when c.k = 2 then '["mentions_refund_amount"]'::jsonb else '[]'::jsonb end,
       'a0000000-0000-4000-8000-000000000003',
       case when s.status = 'pending' then null else 'a0000000-0000-4000-8000-000000000002'::uuid end,
       case when s.status = 'pending' then null else c.created_at + s.resolve end,
       case when s.status = 'rejected' then s.reason end,
       c.created_at + interval '40 minutes',
       case when s.status = 'pending' then c.created_at + interval '41 minutes' else c.created_at + s.resolve end
from seed_cases c
join public.feedback fb on fb.org_id = c.org_id and fb.external_id = 'conv_' || lpad(c.n::text, 6, '0')
join (values
  (1, 'approved', interval '5 hours', null),
  (2, 'approved', interval '1 day 2 hours', null),
  (3, 'rejected', interval '7 hours', 'The original answer was right; the customer misread the plan page.'),
  (4, 'approved', interval '20 hours', null),
  (5, 'approved', interval '3 hours', null),
  (6, 'rejected', interval '2 days', 'Duplicate of an approved case on the same question.'),
  (7, 'pending', null, null),
  (8, 'pending', null, null),
  (9, 'pending', null, null)
) as s(k, status, resolve, reason) on s.k = c.k;

update public.feedback f set case_id = c.id, status = 'case_open', claimed_by = null, claimed_at = null
from public.improvement_cases c where c.feedback_id = f.id;

insert into public.comments (org_id, case_id, author_id, body, created_at)
select c.org_id, c.id, x.author::uuid, x.body, c.created_at + x.after
from public.improvement_cases c
join (values
  (1, 'a0000000-0000-4000-8000-000000000003', 'Customer was quoting the old 7-day policy from a cached help page.', interval '10 minutes'),
  (1, 'a0000000-0000-4000-8000-000000000002', 'Updated the answer to state the 30-day window and link the returns page.', interval '2 hours'),
  (3, 'a0000000-0000-4000-8000-000000000002', 'Checked the plan page: the bot was right here. Rejecting.', interval '6 hours'),
  (7, 'a0000000-0000-4000-8000-000000000003', 'Can someone from billing confirm the refund timeline before we approve?', interval '30 minutes'),
  (8, 'a0000000-0000-4000-8000-000000000003', 'Second report this week with the same wrong answer.', interval '15 minutes')
) as x(k, author, body, after) on c.id = ('cccccccc-0000-4000-8000-' || lpad(to_hex(x.k), 12, '0'))::uuid;

-- ---- training examples: approved cases plus a curated set ----------------------------------------
insert into public.training_examples (org_id, query, answer, tags, source_case_id, created_by, created_at)
select c.org_id, c.query, c.suggested_response, array[t.topic, 'from-case'], c.id, c.approved_by, c.decided_at
from public.improvement_cases c
join seed_cases sc on ('cccccccc-0000-4000-8000-' || lpad(to_hex(sc.k), 12, '0'))::uuid = c.id
join seed_templates t on t.topic = sc.topic and t.good = sc.good
where c.status = 'approved';

insert into public.training_examples (org_id, query, answer, tags, created_by, created_at)
select 'aaaaaaaa-0000-4000-8000-000000000001'::uuid, replace(t.query, '{order}', '#204318'), replace(t.good, '{order}', '#204318'),
       array[t.topic, 'curated'] || case when t.idx % 5 = 0 then array['policy'] else '{}'::text[] end,
       'a0000000-0000-4000-8000-000000000002'::uuid, now() - interval '20 days' + t.idx * interval '9 hours'
from seed_templates t where t.idx % 2 = 1
union all
select 'bbbbbbbb-0000-4000-8000-000000000001', replace(t.query, '{order}', '#771002'), replace(t.good, '{order}', '#771002'),
       array[t.topic, 'curated'], 'b0000000-0000-4000-8000-000000000001', now() - interval '15 days'
from seed_templates t where t.idx in (2, 9, 13);

-- More phrasings of the same questions, approved with the same answers (as a team's approved answers
-- collect over time): a held-out phrasing has siblings in a fine-tune's train split, and the reranker
-- has matching pairs to learn from.
create temp table seed_paraphrases (idx int, query text) on commit drop;
insert into seed_paraphrases values
  (1, 'I see two $49 charges on my card this month, why?'),
  (1, 'Double charge on my credit card for the subscription, can you fix it?'),
  (2, 'How can I update the card you bill me on?'),
  (2, 'I got a new credit card, where do I replace the old one?'),
  (3, 'I need our VAT number printed on my invoices.'),
  (3, 'Can you reissue invoices with my company tax details?'),
  (4, 'Why am I still paying for Pro after switching to Starter?'),
  (4, 'I moved to a cheaper plan but got billed the Pro price again.'),
  (5, 'My blender from order {order} came broken, can I get my money back?'),
  (5, 'Order {order} arrived damaged, I would like a refund.'),
  (6, 'When will my refund appear on my credit card?'),
  (6, 'How many days until the refunded money shows on my card?'),
  (7, 'Are sale items returnable?'),
  (7, 'I bought a discounted item, can I still send it back?'),
  (8, 'Still waiting for the refund on my return of order {order}.'),
  (8, 'You received my returned order {order} weeks ago but I have no refund yet.'),
  (9, 'Order {order} is late, where is it?'),
  (9, 'My package for order {order} did not arrive yesterday as promised.'),
  (10, 'Can you deliver to Canada?'),
  (10, 'Is shipping to Canada available, and are there duties?'),
  (11, 'I need to change the shipping address on my order.'),
  (11, 'Can I send my order to a different address after checkout?'),
  (12, 'What does express shipping cost?'),
  (12, 'Price of express delivery?'),
  (13, 'My new password is not accepted after the reset, I cannot sign in.'),
  (13, 'Login says wrong password even though I just reset it.'),
  (14, 'How can I enable 2FA on my account?'),
  (14, 'Where do I set up two-factor authentication with an authenticator app?'),
  (15, 'The verification email never arrived.'),
  (15, 'I did not receive the email to verify my account.'),
  (16, 'Please delete my account and my data.'),
  (16, 'How can I close my account and remove all my data?'),
  (17, 'Why does the API return 401 Unauthorized with my key?'),
  (17, 'My API key gets 401 errors, what is wrong?'),
  (18, 'What is the rate limit of the orders API?'),
  (18, 'How many requests per minute does the orders API allow?'),
  (19, 'The order.created webhook does not fire.'),
  (19, 'My webhook endpoint stopped receiving order.created events.'),
  (20, 'Creating an order with a discount code returns a 500 error.'),
  (20, 'I get HTTP 500 from the API when I apply a discount code to an order.'),
  (21, 'Can the X200 blender go in the dishwasher?'),
  (21, 'Which parts of the X200 blender are dishwasher safe?'),
  (22, 'What is covered by the warranty?'),
  (22, 'Does the warranty cover my appliance breaking?'),
  (23, 'Do non-profits get a discount?'),
  (23, 'Is there a non-profit discount on your plans?'),
  (24, 'How can I invite a teammate to the workspace?'),
  (24, 'I want to add a colleague to my workspace, how?');

insert into public.training_examples (org_id, query, answer, tags, created_by, created_at)
select 'aaaaaaaa-0000-4000-8000-000000000001'::uuid, replace(p.query, '{order}', '#204318'), replace(t.good, '{order}', '#204318'),
       array[t.topic, 'curated'], 'a0000000-0000-4000-8000-000000000002'::uuid,
       now() - interval '19 days' + (t.idx * 2 + row_number() over (partition by p.idx order by p.query)) * interval '5 hours'
from seed_paraphrases p join seed_templates t on t.idx = p.idx;

-- ---- audit trail for what the seed did "by hand" ---------------------------------------------------
insert into public.audit_logs (org_id, actor_id, action, entity_type, entity_id, details, created_at)
select c.org_id, c.approved_by, 'case.' || c.status::text, 'improvement_case', c.id::text,
       jsonb_build_object('feedback_id', c.feedback_id, 'reason', c.reject_reason), c.decided_at
from public.improvement_cases c where c.status <> 'pending'
union all
select 'aaaaaaaa-0000-4000-8000-000000000001'::uuid, 'a0000000-0000-4000-8000-000000000001'::uuid, 'prompt.promotion', 'prompt_version',
       'aaaaaaaa-0000-4000-8000-0000000000c2', '{"prompt_id": "aaaaaaaa-0000-4000-8000-0000000000b1", "version": 2, "kind": "override", "previous_version": 1}', now() - interval '28 days';

-- ---- LLM calls: a few thousand over 30 days (tokens, cost, latency, some errors) -----------------
-- Per row: which function made the call decides the model mix, prompt version and token sizes;
-- latency is log-normal-ish around each model's typical speed; ~2% errors.
insert into public.ai_requests (org_id, user_id, function_name, prompt_version_id, model, input_tokens, output_tokens, cost_usd, latency_ms, status, error, trace_id, created_at)
select r.org_id, r.user_id, r.fn, r.pv, r.model, r.input_tokens, r.output_tokens,
       case when r.status = 'error' then 0
            else round((r.input_tokens * r.in_price + r.output_tokens * r.out_price) / 1e6, 8) end,
       r.latency_ms, r.status, r.error, 'tr_' || substr(md5('ai:' || r.g), 1, 24), r.created_at
from (
  select q.*,
         case when q.err then 'error' else 'ok' end as status,
         case when not q.err then null
              when q.model like 'claude%' then (array['overloaded_error: Overloaded', 'rate_limit_error: 429 Too Many Requests', 'timeout: no response in 30000 ms'])[1 + q.h4 % 3]
              else (array['timeout: no response in 30000 ms', 'offline model unavailable'])[1 + q.h4 % 2] end as error,
         case when q.err and q.h4 % 3 = 2 then 30000
              else greatest(20, (q.base_ms * exp(((q.h3 % 1000) / 1000.0 - 0.5) * 1.4 + ((q.h4 % 1000) / 1000.0 - 0.5) * 0.8)
                                 * (1 + q.output_tokens / 800.0))::int) end as latency_ms,
         case q.model when 'claude-haiku-4-5' then 1.0 when 'claude-sonnet-4-5' then 3.0 else 0 end as in_price,
         case q.model when 'claude-haiku-4-5' then 5.0 when 'claude-sonnet-4-5' then 15.0 else 0 end as out_price
  from (
    select p.*,
           case p.model when 'claude-sonnet-4-5' then 2600 when 'claude-haiku-4-5' then 900 when 'offline-strong-1' then 260
                        when 'offline-fast-1' then 90 else 210 end as base_ms,
           (p.h2 % 1000) < case when p.model like 'claude%' then 30 else 12 end as err,
           (p.in_base * (0.6 + (p.h3 % 800) / 1000.0))::int as input_tokens,
           (p.out_base * (0.5 + (p.h4 % 1000) / 1000.0))::int as output_tokens
    from (
      select s.*,
             case s.fn
               when 'create-improvement-case' then case when s.h1 % 10 < 2 then 'claude-sonnet-4-5'
                                                        else 'offline-strong-1' end
               when 'regenerate-suggestion' then case when s.h1 % 10 < 3 then 'claude-sonnet-4-5' else 'offline-strong-1' end
               when 'ab-eval:judge' then case when s.h1 % 10 < 4 then 'claude-haiku-4-5' else 'offline-fast-1' end
               when 'ab-eval:generate' then 'offline-strong-1'
               when 'prompt-builder' then case when s.h1 % 2 = 0 then 'claude-haiku-4-5' else 'offline-fast-1' end
               else 'offline-fast-1' end as model,
             case s.fn when 'create-improvement-case' then 1400 when 'regenerate-suggestion' then 1600 when 'ab-eval:judge' then 1100
                       when 'ab-eval:generate' then 900 when 'prompt-builder' then 700 else 500 end as in_base,
             case s.fn when 'create-improvement-case' then 320 when 'regenerate-suggestion' then 340 when 'ab-eval:judge' then 90
                       when 'ab-eval:generate' then 300 when 'prompt-builder' then 420 else 60 end as out_base,
             case when s.org_id <> 'aaaaaaaa-0000-4000-8000-000000000001' then 'bbbbbbbb-0000-4000-8000-0000000000c1'::uuid
                  when s.fn in ('create-improvement-case', 'regenerate-suggestion') then 'aaaaaaaa-0000-4000-8000-0000000000c2'::uuid
                  when s.fn = 'ab-eval:generate' then (array['aaaaaaaa-0000-4000-8000-0000000000c2', 'aaaaaaaa-0000-4000-8000-0000000000c3'])[1 + s.h2 % 2]::uuid
                  when s.fn = 'ab-eval:judge' then 'aaaaaaaa-0000-4000-8000-0000000000c4'::uuid
             end as pv
      from (
        select g, o.org_id,
               abs(hashtext('ai-a:' || o.org_id || g)) as h1, abs(hashtext('ai-b:' || o.org_id || g)) as h2,
               abs(hashtext('ai-c:' || o.org_id || g)) as h3, abs(hashtext('ai-d:' || o.org_id || g)) as h4,
               case when o.org_id = 'aaaaaaaa-0000-4000-8000-000000000001'
                    then (array['a0000000-0000-4000-8000-000000000003', 'a0000000-0000-4000-8000-000000000002',
                                'a0000000-0000-4000-8000-000000000001', null])[1 + abs(hashtext('ai-u:' || g)) % 4]::uuid
                    else 'b0000000-0000-4000-8000-000000000001'::uuid end as user_id,
               (array['create-improvement-case', 'create-improvement-case', 'create-improvement-case', 'regenerate-suggestion',
                      'ab-eval:generate', 'ab-eval:generate', 'ab-eval:judge', 'ab-eval:judge', 'ab-eval:judge',
                      'prompt-builder', 'classify-feedback', 'classify-feedback'])[1 + abs(hashtext('ai-f:' || o.org_id || g)) % 12] as fn,
               -- more calls on weekdays and on recent days (usage grows)
               now() - 30 * power((abs(hashtext('ai-t:' || o.org_id || g)) % 100000) / 100000.0, 1.3) * interval '1 day' as created_at
        from (values ('aaaaaaaa-0000-4000-8000-000000000001'::uuid, 3600), ('bbbbbbbb-0000-4000-8000-000000000001'::uuid, 240)) as o(org_id, n)
        cross join lateral generate_series(1, o.n) g
      ) s
    ) p
  ) q
) r;

-- ---- what is live, and the first real run --------------------------------------------------------
-- models.is_live is derived from the production prompt versions (as every promotion keeps it).
select private.sync_live_models(o.id) from public.organizations o;

-- A fine-tune of Acme's approved answers, queued: the worker `npm start` runs trains it, evaluates the
-- tuned model against the base on the held-out split, and registers it, with every number its own.
select private.enqueue_job('aaaaaaaa-0000-4000-8000-000000000001', 'fine_tune', 'Support answers — first fine-tune',
  '{"trainer": "local", "baseModel": "offline-strong-1", "validationFraction": 0.25, "minSamples": 10, "seed": 42, "hyperparameters": {"n_epochs": 20, "batch_size": 32}}'::jsonb,
  'a0000000-0000-4000-8000-000000000001', 'offline-strong-1', '{}', 'seed:first-fine-tune');

-- ---- document upkeep: a co-edited answer whose log the worker folds on start ------------------------
-- Acme's pending case 8 was co-edited before this start: its answer document holds the drafted
-- suggestion (one update, by no one: shown as the suggestion) and Carmen's closing sentence typed key by
-- key (one update per key, as a slow connection sends them), so its log is longer than the worker's
-- bound (200 rows). The case row still holds the draft. On start the doc_upkeep task the appends queued
-- folds the log into a snapshot and writes the co-edited text into the case row; nothing here writes
-- that text. The updates are Yjs v1 updates (encoded as yjs/src/utils/encoding.js writes them) and go
-- through doc_append_update, which checks each one.
create function pg_temp.yjs_uint(n bigint) returns bytea language plpgsql immutable as $$
declare
  out bytea := '';
begin
  loop
    if n < 128 then
      return out || set_byte('\x00'::bytea, 0, n::int);
    end if;
    out := out || set_byte('\x00'::bytea, 0, (n % 128 + 128)::int);
    n := n / 128;
  end loop;
end $$;
create function pg_temp.yjs_string(s text) returns bytea language sql immutable as $$
  select pg_temp.yjs_uint(octet_length(convert_to(s, 'UTF8'))) || convert_to(s, 'UTF8')
$$;

do $$
declare
  doc text := 'case:cccccccc-0000-4000-8000-000000000008';
  draft text;
  typed text := ' Good news: the refund is already on its way back to the original payment method and should show within 5 business days. If it is not there by then, reply to this email with your order number and we will chase it with our payment provider the same day.';
  drafter bigint := 1836135801;   -- the suggestion's Yjs client (unregistered: shown as the suggestion)
  carmen bigint := 2470918634;     -- Carmen's (the curator's) Yjs client
  upd bytea;
begin
  select suggested_response into draft from public.improvement_cases where id = split_part(doc, ':', 2)::uuid;
  if draft is null or draft = '' or char_length(typed) <= 200 then
    raise exception 'document upkeep seed: case 8 has no draft, or the typed text is too short to pass the bound';
  end if;
  -- The draft: one string item at the start of the root text "answer" (info 4: string, no origins).
  upd := '\x0101'::bytea || pg_temp.yjs_uint(drafter) || '\x00'::bytea || '\x04'::bytea
         || pg_temp.yjs_uint(1) || pg_temp.yjs_string('answer') || pg_temp.yjs_string(draft) || '\x00'::bytea;
  perform public.doc_append_update(doc, encode(upd, 'base64'), drafter);
  -- Carmen's keys, each after the one before (info 0x84: string with a left origin). Clocks count
  -- UTF-16 units; the draft and the sentence are in the Basic Multilingual Plane.
  for i in 1..char_length(typed) loop
    upd := '\x0101'::bytea || pg_temp.yjs_uint(carmen) || pg_temp.yjs_uint(i - 1) || '\x84'::bytea
           || case when i = 1 then pg_temp.yjs_uint(drafter) || pg_temp.yjs_uint(char_length(draft) - 1)
                   else pg_temp.yjs_uint(carmen) || pg_temp.yjs_uint(i - 2) end
           || pg_temp.yjs_string(substr(typed, i, 1)) || '\x00'::bytea;
    perform public.doc_append_update(doc, encode(upd, 'base64'), carmen);
  end loop;
  insert into public.doc_clients (doc_id, client_id, author) values (doc, carmen, 'a0000000-0000-4000-8000-000000000002');
end $$;

-- ---- review queues (issue 19): a rubric, a double-reviewed queue, and scores people gave -----------------
-- Inputs only: two rubric versions, one queue over Acme's low-rated feedback with two reviewers per item,
-- and scores submitted through the same functions the app calls, as the reviewer, the curator and the
-- admin (each signed in, via the request's claims). Agreement, the adjudication list and the final scores
-- are computed from these rows by shared/src/review/report.ts when someone opens the report.
insert into public.score_configs (id, org_id, name, version, kind, description, levels, created_by) values
  ('aaaaaaaa-0000-4000-8000-0000000000d1', 'aaaaaaaa-0000-4000-8000-000000000001', 'Answer quality', 1, 'ordinal',
   'How well the answer resolves the customer''s question, as a senior agent would judge it.',
   '[{"value":1,"label":"Wrong"},{"value":2,"label":"Poor"},{"value":3,"label":"Partial"},{"value":4,"label":"Good"},{"value":5,"label":"Excellent"}]',
   'a0000000-0000-4000-8000-000000000002');
insert into public.score_configs (id, org_id, name, version, kind, description, created_by) values
  ('aaaaaaaa-0000-4000-8000-0000000000d2', 'aaaaaaaa-0000-4000-8000-000000000001', 'Needs escalation', 1, 'boolean',
   'Would this conversation need a human from billing or engineering to follow up?', 'a0000000-0000-4000-8000-000000000002');
insert into public.review_queues (id, org_id, name, description, source_kind, source, score_config_ids, overlap, assignment_mode, lease_seconds, disagreement_threshold, created_by)
values ('aaaaaaaa-0000-4000-8000-0000000000d9', 'aaaaaaaa-0000-4000-8000-000000000001', 'Low-rated answers — double review',
  'Every low-rated answer is scored by two people, blind. Disagreements go to a curator.',
  'inbox_filter', '{"rating_max": 2, "limit": 24}', array['aaaaaaaa-0000-4000-8000-0000000000d1', 'aaaaaaaa-0000-4000-8000-0000000000d2']::uuid[],
  2, 'self_claim', 900, 0.3, 'a0000000-0000-4000-8000-000000000002');

do $$
declare
  q uuid := 'aaaaaaaa-0000-4000-8000-0000000000d9';
  plan uuid[] := array[
    -- reviewer and curator score the first ten items, then the admin and the reviewer four more
    'a0000000-0000-4000-8000-000000000003', 'a0000000-0000-4000-8000-000000000002'];
  who uuid;
  claimed jsonb;
  item uuid;
  base integer;
  noise integer;
  k integer;
begin
  for k in 1..28 loop
    who := case when k <= 20 then plan[1 + (k - 1) % 2]
                when k % 2 = 1 then 'a0000000-0000-4000-8000-000000000001'::uuid
                else 'a0000000-0000-4000-8000-000000000003'::uuid end;
    perform set_config('request.jwt.claims', json_build_object('sub', who, 'role', 'authenticated')::text, true);
    perform set_config('request.jwt.claim.sub', who::text, true);
    claimed := public.claim_next_review_item(q);
    exit when claimed is null;
    item := (claimed -> 'item' ->> 'id')::uuid;
    -- What this person thinks: the item's quality as most would see it, give or take one level now and then.
    base := 1 + abs(hashtext('rq-quality:' || item)) % 4;
    noise := (array[0, 0, 0, 1, -1, 0, 2])[1 + abs(hashtext('rq-judge:' || item || who)) % 7];
    perform public.submit_scores(item, jsonb_build_object(
      'aaaaaaaa-0000-4000-8000-0000000000d1', greatest(1, least(5, base + noise)),
      'aaaaaaaa-0000-4000-8000-0000000000d2', (base <= 2) <> (abs(hashtext('rq-esc:' || item || who)) % 6 = 0)));
  end loop;
  perform set_config('request.jwt.claims', '', true);
  perform set_config('request.jwt.claim.sub', '', true);
end $$;

-- ---- datasets, evaluators and a first experiment (issue 20) --------------------------------------
-- Built by the same database functions the app calls (as the seed, a privileged caller): a published
-- test set from Acme's approved answers, a draft from the inbox's low ratings, four evaluators, and a
-- 2 × 2 experiment (the production and candidate suggest-answer versions × the fast and strong offline
-- models) the worker `npm start` runs: every output, score and statistic is its own.
select public.build_dataset_from_examples('aaaaaaaa-0000-4000-8000-000000000001', 'Support answers (approved)', '{curated}', false, 24);
select public.publish_dataset_version(v.id)
  from public.dataset_versions v join public.datasets d on d.id = v.dataset_id
 where d.org_id = 'aaaaaaaa-0000-4000-8000-000000000001' and d.name = 'Support answers (approved)' and v.status = 'draft';
select public.build_dataset_from_feedback('aaaaaaaa-0000-4000-8000-000000000001', 'Low ratings (inbox)', '{"rating": [1, 2]}'::jsonb);

insert into public.evaluators (org_id, name, version, kind, config, created_by) values
  ('aaaaaaaa-0000-4000-8000-000000000001', 'f1', 1, 'deterministic', '{"type": "token_f1"}', 'a0000000-0000-4000-8000-000000000002'),
  ('aaaaaaaa-0000-4000-8000-000000000001', 'rouge-l', 1, 'deterministic', '{"type": "rouge_l"}', 'a0000000-0000-4000-8000-000000000002'),
  ('aaaaaaaa-0000-4000-8000-000000000001', 'concise', 1, 'deterministic', '{"type": "length", "min": 20, "max": 900}', 'a0000000-0000-4000-8000-000000000002'),
  ('aaaaaaaa-0000-4000-8000-000000000001', 'judge', 1, 'llm_judge', '{"mode": "pairwise", "rubric": "Prefer the answer that states the policy correctly and gives the next step."}', 'a0000000-0000-4000-8000-000000000001');

select private.enqueue_job('aaaaaaaa-0000-4000-8000-000000000001', 'experiment', 'Suggest-answer v2 vs v3 × fast vs strong',
  jsonb_build_object(
    'datasetVersionId', (select v.id from public.dataset_versions v join public.datasets d on d.id = v.dataset_id
                          where d.org_id = 'aaaaaaaa-0000-4000-8000-000000000001' and d.name = 'Support answers (approved)' and v.status = 'published'),
    'variants', jsonb_build_array(
      jsonb_build_object('promptVersionId', 'aaaaaaaa-0000-4000-8000-0000000000c2', 'model', 'offline-fast-1', 'label', 'v2 · fast'),
      jsonb_build_object('promptVersionId', 'aaaaaaaa-0000-4000-8000-0000000000c2', 'model', 'offline-strong-1', 'label', 'v2 · strong'),
      jsonb_build_object('promptVersionId', 'aaaaaaaa-0000-4000-8000-0000000000c3', 'model', 'offline-fast-1', 'label', 'v3 · fast'),
      jsonb_build_object('promptVersionId', 'aaaaaaaa-0000-4000-8000-0000000000c3', 'model', 'offline-strong-1', 'label', 'v3 · strong')),
    'evaluatorIds', (select jsonb_agg(id order by name) from public.evaluators where org_id = 'aaaaaaaa-0000-4000-8000-000000000001'),
    'baseline', 0),
  'a0000000-0000-4000-8000-000000000001', null, '{}', 'seed:first-experiment');

-- ---- alerts and feedback themes ---------------------------------------------------------------------
-- Both demo organizations got the default alert rules from the organizations trigger. Acme sends its
-- critical alerts to the on-call mailbox (locally: the mail catcher, http://127.0.0.1:54324).
insert into public.notification_channels (id, org_id, name, kind, target, created_by)
values ('aaaaaaaa-0000-4000-8000-0000000000e1', 'aaaaaaaa-0000-4000-8000-000000000001', 'On-call email', 'email', 'oncall@acme.example.com',
        'a0000000-0000-4000-8000-000000000001');
insert into public.alert_rule_channels (org_id, rule_id, channel_id)
select r.org_id, r.id, 'aaaaaaaa-0000-4000-8000-0000000000e1' from public.alert_rules r
where r.org_id = 'aaaaaaaa-0000-4000-8000-000000000001' and r.level = 'critical';

-- The first evaluation of every rule over the seeded LLM calls and ratings, and each organization's
-- first feedback themes: the worker `npm start` runs computes both (no result here is typed by hand).
select private.enqueue_alert_evaluation();
select private.enqueue_job(o.id, 'themes', 'Feedback themes — first run', '{}'::jsonb, null, null, '{}', 'seed:first-themes')
from public.organizations o
where o.id in ('aaaaaaaa-0000-4000-8000-000000000001', 'bbbbbbbb-0000-4000-8000-000000000001');

-- ---- experiment outputs to people, splits (issue 20: items 5 and 1) --------------------------------------
-- Inputs only. A preference rubric, so an experiment's two variants can go to a pairwise review queue
-- from the experiment's page (the outputs exist once the worker has run the experiment above), and a
-- v2 draft of the approved-answers dataset split 70/15/15 by the database's seeded hash. Whether its
-- train/validation items overlap the fine-tune above is computed when someone opens it (the fine-tune's
-- snapshot exists once the worker has trained it).
insert into public.score_configs (id, org_id, name, version, kind, description, created_by) values
  ('aaaaaaaa-0000-4000-8000-0000000000d3', 'aaaaaaaa-0000-4000-8000-000000000001', 'Better answer', 1, 'preference',
   'Which of the two answers would you rather send to the customer? Tie when neither is clearly better.', 'a0000000-0000-4000-8000-000000000002');
select public.split_dataset_version((public.new_dataset_draft(d.id)).id, 0.7, 0.15, 0.15, 'demo')
  from public.datasets d
 where d.org_id = 'aaaaaaaa-0000-4000-8000-000000000001' and d.name = 'Support answers (approved)';

-- ---- online evaluation (issue 20, item 4) ------------------------------------------------------------
-- Acme's "concise" length check runs on half of its new LLM calls, added by the curator as the app
-- does. The seeded history above has no text and came first, so it is not sampled; the calls the worker
-- makes on `npm start` (the first experiment's outputs, the fine-tune's evaluation, themes) and every
-- suggestion people open or regenerate are, and the worker scores them: the results, the boards' trend
-- and the 'online_eval' alert rule (switched on by this first online evaluator) are computed, none typed.
insert into public.online_evaluators (org_id, evaluator_id, sampling_rate, created_by)
select e.org_id, e.id, 0.5, 'a0000000-0000-4000-8000-000000000002'
  from public.evaluators e
 where e.org_id = 'aaaaaaaa-0000-4000-8000-000000000001' and e.name = 'concise' and e.version = 1;

-- ---- judge vs human and the reviewers' board (issue 19, items 6 and 7) ----------------------------
-- The double-review queue's first LLM judge run, queued as Carmen (a curator may run the judge): the
-- worker `npm start` runs asks the judge-rubric prompt for every item and rubric, stores the values in
-- judge_scores, and the report tab's "Judge vs human" compares them with the reviewers' consensus. The
-- managers' board (public.board_review) reads throughput, agreement and the judge's cost from the same
-- rows. The job key is the one the "Run judge" button uses, so a click while it runs joins this run.
select private.enqueue_job('aaaaaaaa-0000-4000-8000-000000000001', 'review_judge', 'Judge vs human — Low-rated answers',
  jsonb_build_object('queueId', 'aaaaaaaa-0000-4000-8000-0000000000d9'),
  'a0000000-0000-4000-8000-000000000002', null, '{}', 'review-judge:aaaaaaaa-0000-4000-8000-0000000000d9');

-- ---- review queue reports (issue 19, computed by the worker) -----------------------------------------
-- The double-review queue's report is the worker's: the scores submitted above queued a `review_report`
-- task (the scores trigger, one waiting entry per queue), and `npm start`'s worker computes and stores
-- it in public.review_reports. Asked for once more here so the intent is visible; the job key makes it
-- the same waiting entry.
select private.enqueue_review_report(q.id, q.org_id) from public.review_queues q where q.id = 'aaaaaaaa-0000-4000-8000-0000000000d9';

-- online rubric judge ------------------------------------------------------------------------------------
-- (issue 20, items 2 and 4) Acme's "helpfulness" rubric judge (pointwise, 1–5 with labels, the offline
-- strong model) runs on a quarter of its new LLM calls, attached by the curator with a daily cap of 100
-- judge calls. Like the "concise" rule above, it samples the calls the worker makes on `npm start` and
-- every suggestion people open or regenerate; the worker asks the judge (logged as
-- worker:online-eval:judge, never sampled itself) and stores the normalized score with the judge's value
-- and reason, so the online evaluation page and the boards' trend show judge scores, none typed here.
insert into public.evaluators (org_id, name, version, kind, config, created_by) values
  ('aaaaaaaa-0000-4000-8000-000000000001', 'helpfulness', 1, 'llm_judge',
   '{"mode": "rubric", "model": "offline-strong-1", "rubric": "Does the answer resolve the customer''s question directly, with the concrete next step?",
     "scale": {"min": 1, "max": 5, "labels": [{"value": 1, "label": "unhelpful"}, {"value": 2, "label": "vague"}, {"value": 3, "label": "partial"},
                                               {"value": 4, "label": "helpful"}, {"value": 5, "label": "resolves it"}]}}',
   'a0000000-0000-4000-8000-000000000002');
insert into public.online_evaluators (org_id, evaluator_id, sampling_rate, judge_calls_per_day, created_by)
select e.org_id, e.id, 0.25, 100, 'a0000000-0000-4000-8000-000000000002'
  from public.evaluators e
 where e.org_id = 'aaaaaaaa-0000-4000-8000-000000000001' and e.name = 'helpfulness' and e.version = 1;

-- dataset draft co-editing ------------------------------------------------------------------------------
-- ---- a draft to co-edit live (issue 20: "a draft can be co-edited live like a prompt candidate") ------
-- Inputs only: a small draft of refund questions with the answers the team has so far, imported as a
-- curator imports a file (the same database function the app calls). Curators and admins open it under
-- Datasets and edit its items' texts together (presence, cursors, authorship); reviewers and managers
-- watch. Nothing here writes its document: the first editor to open a field starts it from the row, the
-- worker copies what the editors write back into the items, and publishing freezes that copy.
select public.import_dataset_items('aaaaaaaa-0000-4000-8000-000000000001', 'Refund answers (co-edited draft)', '[
  {"query": "How long does a refund take?", "expected": "Refunds are processed within 5 business days.", "metadata": {"topic": "refunds"}},
  {"query": "Can I get a refund for a subscription I forgot to cancel?", "expected": "Contact support within 14 days of the charge.", "metadata": {"topic": "refunds"}},
  {"query": "Why was my refund smaller than what I paid?", "metadata": {"topic": "refunds"}},
  {"query": "Do you refund shipping costs?", "context": "Policy: shipping is refunded only when the item arrived damaged.", "expected": "Only when the item arrived damaged.", "metadata": {"topic": "refunds"}}
]'::jsonb, '{"fileName": "refund-answers.jsonl"}'::jsonb);
