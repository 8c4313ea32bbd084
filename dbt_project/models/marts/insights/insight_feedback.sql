{#
    Satisfaction and what customers talk about, per month: NPS, CSAT, review ratings and text
    sentiment, overall (theme = 'all') and per theme found in the texts (one row per month and
    theme). A survey, review or ticket counts once for 'all' and once for each of its themes.
    NPS = 100 × (promoters − detractors) / NPS responses (promoter 9–10, detractor 0–6).
    CSAT combines CSAT surveys and rated support tickets (1–5).
#}
with

responses as (

    select * from {{ ref('stg_surveys__responses') }}

),

reviews as (

    select * from {{ ref('stg_feedback__reviews') }}

),

tickets as (

    select * from {{ ref('stg_support__tickets') }}

),

text_insights as (

    select * from {{ ref('int_text__insights') }}

),

response_items as (

    select
        responses.submitted_at as occurred_at,
        'survey_response' as item_type,
        case when responses.survey_type = 'nps' then responses.score end as nps_score,
        case when responses.survey_type = 'csat' then responses.score end as csat_score,
        cast(null as {{ dbt.type_int() }}) as rating,
        text_insights.sentiment_score,
        text_insights.sentiment_label,
        text_insights.themes
    from responses
    left outer join text_insights
        on
            text_insights.source = 'surveys'
            and text_insights.source_table = 'responses'
            and responses.response_id = text_insights.source_key

),

review_items as (

    select
        reviews.posted_at as occurred_at,
        'review' as item_type,
        cast(null as {{ dbt.type_int() }}) as nps_score,
        cast(null as {{ dbt.type_int() }}) as csat_score,
        reviews.rating,
        text_insights.sentiment_score,
        text_insights.sentiment_label,
        text_insights.themes
    from reviews
    left outer join text_insights
        on
            text_insights.source = 'feedback'
            and text_insights.source_table = 'reviews'
            and reviews.review_id = text_insights.source_key

),

ticket_items as (

    select
        tickets.created_at as occurred_at,
        'ticket' as item_type,
        cast(null as {{ dbt.type_int() }}) as nps_score,
        tickets.csat_score,
        cast(null as {{ dbt.type_int() }}) as rating,
        text_insights.sentiment_score,
        text_insights.sentiment_label,
        text_insights.themes
    from tickets
    left outer join text_insights
        on
            text_insights.source = 'support'
            and text_insights.source_table = 'tickets'
            and tickets.ticket_id = text_insights.source_key

),

unioned as (

    select * from response_items
    union all
    select * from review_items
    union all
    select * from ticket_items

),

items as (

    select
        cast({{ dbt.date_trunc('month', 'occurred_at') }} as date) as period_month,
        item_type,
        nps_score,
        csat_score,
        rating,
        sentiment_score,
        sentiment_label,
        themes
    from unioned
    where occurred_at is not null

),

theme_rows as (

    select
        period_month,
        item_type,
        nps_score,
        csat_score,
        rating,
        sentiment_score,
        sentiment_label,
        {{ split_to_rows('themes', ';') }} as theme
    from items
    where themes is not null

),

all_rows as (

    select
        period_month,
        item_type,
        nps_score,
        csat_score,
        rating,
        sentiment_score,
        sentiment_label,
        'all' as theme
    from items

    union all

    select * from theme_rows

),

aggregated as (

    select
        period_month,
        theme,
        count(*) as feedback_items,
        count(sentiment_score) as texts,
        avg(sentiment_score) as average_sentiment,
        sum(case when sentiment_label = 'positive' then 1 else 0 end) as positive_texts,
        sum(case when sentiment_label = 'negative' then 1 else 0 end) as negative_texts,
        count(nps_score) as nps_responses,
        sum(case when nps_score >= 9 then 1 else 0 end) as promoters,
        sum(case when nps_score <= 6 then 1 else 0 end) as detractors,
        count(csat_score) as csat_responses,
        avg(cast(csat_score as {{ type_double() }})) as average_csat,
        count(rating) as reviews,
        avg(cast(rating as {{ type_double() }})) as average_rating
    from all_rows
    where theme <> ''
    group by 1, 2

),

with_nps as (

    select
        *,
        100.0 * (promoters - detractors) / nullif(nps_responses, 0) as nps
    from aggregated

),

final as (

    select
        cast(with_nps.period_month as date) as period_month,
        cast(with_nps.theme as {{ dbt.type_string() }}) as theme,
        cast(with_nps.feedback_items as {{ dbt.type_bigint() }}) as feedback_items,
        cast(with_nps.texts as {{ dbt.type_bigint() }}) as texts,
        cast(
            cast(with_nps.texts as {{ type_double() }}) / nullif(month_totals.texts, 0)
            as {{ type_double() }}
        ) as share_of_texts,
        cast(with_nps.average_sentiment as {{ type_double() }}) as average_sentiment,
        cast(with_nps.positive_texts as {{ dbt.type_bigint() }}) as positive_texts,
        cast(with_nps.negative_texts as {{ dbt.type_bigint() }}) as negative_texts,
        cast(
            cast(with_nps.negative_texts as {{ type_double() }}) / nullif(with_nps.texts, 0)
            as {{ type_double() }}
        ) as negative_share,
        cast(with_nps.nps_responses as {{ dbt.type_bigint() }}) as nps_responses,
        cast(with_nps.promoters as {{ dbt.type_bigint() }}) as promoters,
        cast(with_nps.detractors as {{ dbt.type_bigint() }}) as detractors,
        cast(with_nps.nps as {{ type_double() }}) as nps,
        cast(with_nps.nps - lag(with_nps.nps) over (
            partition by with_nps.theme order by with_nps.period_month
        ) as {{ type_double() }}) as nps_change,
        cast(with_nps.csat_responses as {{ dbt.type_bigint() }}) as csat_responses,
        cast(with_nps.average_csat as {{ type_double() }}) as average_csat,
        cast(with_nps.reviews as {{ dbt.type_bigint() }}) as reviews,
        cast(with_nps.average_rating as {{ type_double() }}) as average_rating,
        cast(case
            when with_nps.theme <> 'all' then row_number() over (
                partition by with_nps.period_month, with_nps.theme = 'all'
                order by with_nps.texts desc, with_nps.theme asc
            )
        end as {{ dbt.type_bigint() }}) as theme_rank
    from with_nps
    left outer join with_nps as month_totals
        on with_nps.period_month = month_totals.period_month and month_totals.theme = 'all'

)

select * from final
